"""The public line's booking caps, enforced in the booking transaction: per call, per
customer's future bookings, and per day from withheld numbers (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from booking.db import Database
from booking.errors import LimitReached
from booking.models import Appointment, AppointmentSource, AppointmentStatus
from booking.services import appointments, businesses, calls, customers
from booking.services.appointments import BookingRequest
from tests.conftest import NOW
from tests.factories import Shop

TUESDAY = date(2026, 12, 1)  # Sam works 09-12 and 13-17, Alex 10-13 and 13:30-18


async def _call(db: Database, shop: Shop, caller: str | None, customer_id: int | None) -> int:
    return await calls.start_call(
        db,
        shop.business_id,
        room_name="r",
        caller_number=caller,
        dialled_number=None,
        customer_id=customer_id,
        verified=caller is not None,
        now=NOW,
    )


def _by_phone(
    shop: Shop, customer_id: int, at: time, call_id: int | None, day: date = TUESDAY
) -> BookingRequest:
    return BookingRequest(
        business_id=shop.business_id,
        customer_id=customer_id,
        local_date=day,
        local_time=at,
        duration_minutes=15,
        source=AppointmentSource.PHONE,
        call_id=call_id,
    )


async def _booked(db: Database, *where: object) -> int:
    async with db.read() as session:
        query = select(func.count(Appointment.id)).where(
            Appointment.status == AppointmentStatus.BOOKED,
            *where,  # type: ignore[arg-type]
        )
        return int(await session.scalar(query) or 0)


async def test_a_call_books_at_most_its_cap(db, shop):
    """A call's fourth booking is refused with a sentence offering a message or a transfer;
    three rows stand. The admin API books past it."""
    call_id = await _call(db, shop, "+12345678900", shop.ada)
    await businesses.update_business(db, shop.business_id, max_future_bookings_per_customer=10)
    for hour in (9, 10, 11):
        await appointments.book(db, _by_phone(shop, shop.ada, time(hour), call_id), now=NOW)
    with pytest.raises(LimitReached) as refused:
        await appointments.book(db, _by_phone(shop, shop.ada, time(14), call_id), now=NOW)
    assert refused.value.reason == "bookings_per_call"
    assert "take a message" in refused.value.message and "transfer" in refused.value.message
    assert await _booked(db, Appointment.call_id == call_id) == 3
    by_api = BookingRequest(
        business_id=shop.business_id,
        customer_id=shop.ada,
        local_date=TUESDAY,
        local_time=time(15),
        duration_minutes=15,
    )
    await appointments.book(db, by_api, now=NOW)
    assert await _booked(db, Appointment.customer_id == shop.ada) == 4


async def test_a_customer_holds_at_most_their_cap_of_future_bookings(db, shop):
    """With four future bookings a fifth phone booking is refused, whatever the call; a
    cancellation makes room again; past appointments do not count."""
    for hour in (9, 10, 11, 13):
        call_id = await _call(db, shop, "+12345678900", shop.ada)
        await appointments.book(db, _by_phone(shop, shop.ada, time(hour), call_id), now=NOW)
    late = await _call(db, shop, "+12345678900", shop.ada)
    with pytest.raises(LimitReached) as refused:
        await appointments.book(db, _by_phone(shop, shop.ada, time(14), late), now=NOW)
    assert refused.value.reason == "future_bookings_per_customer"
    first, *_ = await appointments.list_upcoming(db, shop.business_id, shop.ada, now=NOW)
    await appointments.cancel(db, shop.business_id, first.id, now=NOW)
    await appointments.book(db, _by_phone(shop, shop.ada, time(14), late), now=NOW)
    assert await _booked(db, Appointment.customer_id == shop.ada) == 4
    # A day after all of them, none is in the future any more.
    after = NOW + timedelta(days=3)
    again = await _call(db, shop, "+12345678900", shop.ada)
    await appointments.book(
        db, _by_phone(shop, shop.ada, time(9), again, TUESDAY + timedelta(days=6)), now=after
    )
    assert await _booked(db, Appointment.customer_id == shop.ada) == 5


async def test_caps_are_business_settings(db, shop):
    """A business that lowers its per-call cap to one has a call's second booking refused;
    caps outside 1..1000 are refused naming the field."""
    await businesses.update_business(db, shop.business_id, max_bookings_per_call=1)
    call_id = await _call(db, shop, "+12345678900", shop.ada)
    await appointments.book(db, _by_phone(shop, shop.ada, time(9), call_id), now=NOW)
    with pytest.raises(LimitReached):
        await appointments.book(db, _by_phone(shop, shop.ada, time(10), call_id), now=NOW)
    from booking.errors import InvalidInput

    with pytest.raises(InvalidInput) as bad:
        await businesses.update_business(db, shop.business_id, max_calls_per_number=0)
    assert bad.value.field == "max_calls_per_number"


WITHHELD_CALLS = 12


async def test_withheld_callers_book_exactly_the_daily_cap_under_concurrency(db, shop):
    """Twelve calls from withheld numbers, each booking a different free time at once, book
    exactly five (the default daily cap); the other seven hear the cap. Callers with a number
    are not counted against it."""
    people = []
    for n in range(WITHHELD_CALLS):
        person = await customers.create_customer(
            db, shop.business_id, phone=f"+1212555{n + 1000:04d}", name=f"Caller {n}"
        )
        people.append((person.id, await _call(db, shop, None, person.id)))
    slots = [
        (day, time(hour, minute))
        for day in (TUESDAY, TUESDAY + timedelta(days=1))
        for hour in (9, 10, 11)
        for minute in (0, 30)
    ]
    results = await asyncio.gather(
        *(
            appointments.book(db, _by_phone(shop, person, at, call_id, day), now=NOW)
            for (person, call_id), (day, at) in zip(people, slots, strict=False)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert len(refused) == WITHHELD_CALLS - 5, results
    assert {r.reason for r in refused} == {"withheld_bookings_per_day"}
    assert await _booked(db, Appointment.source == AppointmentSource.PHONE) == 5
    known = await _call(db, shop, "+12345678900", shop.ada)
    await appointments.book(db, _by_phone(shop, shop.ada, time(16), known), now=NOW)
    # The next day (in the business's zone) the withheld count starts again.
    tomorrow = NOW + timedelta(days=1)
    late_person, _ = people[-1]
    next_day_call = await calls.start_call(
        db, shop.business_id, room_name="r", caller_number=None, dialled_number=None,
        customer_id=late_person, verified=False, now=tomorrow,
    )  # fmt: skip
    await appointments.book(
        db, _by_phone(shop, late_person, time(13), next_day_call, TUESDAY + timedelta(days=2)),
        now=tomorrow,
    )  # fmt: skip
    assert await _booked(db, Appointment.source == AppointmentSource.PHONE) == 7

"""Schedule changes never strand a booking: each change that would leave future appointments
outside the schedule says so first, and is made only with a choice of cancel or keep."""

from __future__ import annotations

import asyncio
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from booking import errors
from booking.models import Appointment, AppointmentStatus, Closure, WebhookDelivery
from booking.services import appointments, businesses, closures, staff, webhooks
from booking.services.businesses import ZoneChange
from booking.services.stranding import OnStranded, WouldStrand
from tests.conftest import NOW

TUESDAY = date(2026, 12, 1)


async def book(db: Any, shop: Any, day: date = TUESDAY, at: time = time(10), **kw: Any) -> int:
    booked = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=shop.ada,
            staff_id=kw.get("staff_id", shop.sam),
            service_id=kw.get("service_id"),
            duration_minutes=None if kw.get("service_id") else 30,
            local_date=day,
            local_time=at,
        ),
        now=NOW,
    )
    return booked.id


async def status_of(db: Any, appointment_id: int) -> tuple[AppointmentStatus, bool]:
    async with db.read() as session:
        row = await session.get(Appointment, appointment_id)
        assert row is not None
        return row.status, row.outside_hours


CHANGES = {
    "closure": lambda db, shop, **kw: closures.create_closure(
        db, shop.business_id, TUESDAY, TUESDAY, "Staff training", now=NOW, **kw
    ),
    "day off": lambda db, shop, **kw: staff.add_override(
        db, shop.business_id, shop.sam, TUESDAY, (), "dentist", now=NOW, **kw
    ),
    "shorter day": lambda db, shop, **kw: staff.add_override(
        db, shop.business_id, shop.sam, TUESDAY, [(time(13), time(17))], now=NOW, **kw
    ),
    "no weekly hours": lambda db, shop, **kw: staff.set_weekly_hours(
        db, shop.business_id, shop.sam, {}, now=NOW, **kw
    ),
    "deactivated": lambda db, shop, **kw: staff.update_staff(
        db, shop.business_id, shop.sam, active=False, now=NOW, **kw
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_change_that_strands_a_booking_is_refused_naming_it(db, shop, change):
    """Unless told what to do, the change is refused with the affected appointment (id,
    customer's first name, local time, staff member), and nothing is changed."""
    appointment_id = await book(db, shop)
    with pytest.raises(WouldStrand) as refused:
        await CHANGES[change](db, shop)
    [affected] = refused.value.affected
    assert (affected.id, affected.customer_first_name) == (appointment_id, "Ada")
    assert (affected.local_date, affected.local_time, affected.staff_name) == (
        TUESDAY,
        "10:00",
        "Sam",
    )
    assert await status_of(db, appointment_id) == (AppointmentStatus.BOOKED, False)
    async with db.read() as session:
        assert list(await session.scalars(select(Closure))) == []
    free = await staff.get_staff(db, shop.business_id, shop.sam)
    assert free.active and free.weekly_hours  # unchanged


@pytest.mark.parametrize("change", list(CHANGES))
async def test_cancel_makes_the_change_and_tells_each_customer(db, shop, change):
    """With cancel, the change is made, the appointment is cancelled, and its
    appointment.cancelled webhook carries the reason."""
    await webhooks.create_subscription(
        db, shop.business_id, "https://hooks.example.com/b", ["appointment.cancelled"]
    )
    appointment_id = await book(db, shop)
    await CHANGES[change](db, shop, on_affected=OnStranded.CANCEL)
    assert (await status_of(db, appointment_id))[0] == AppointmentStatus.CANCELLED
    async with db.read() as session:
        [delivery] = list(await session.scalars(select(WebhookDelivery)))
    assert delivery.event == "appointment.cancelled"
    assert delivery.payload["data"]["appointment_id"] == appointment_id
    assert delivery.payload["data"]["reason"]


@pytest.mark.parametrize("change", list(CHANGES))
async def test_keep_makes_the_change_and_flags_the_booking(db, shop, change):
    """With keep, the change is made and the appointment stays booked, flagged outside hours;
    the next change does not ask about it again."""
    appointment_id = await book(db, shop)
    await CHANGES[change](db, shop, on_affected=OnStranded.KEEP)
    assert await status_of(db, appointment_id) == (AppointmentStatus.BOOKED, True)
    info = await appointments.get_appointment(db, shop.business_id, appointment_id)
    assert info.outside_hours


async def test_a_change_that_strands_nothing_goes_through(db, shop):
    """A closure on a day without bookings, or hours that still hold every booking, need no
    choice."""
    await book(db, shop, at=time(10))
    day = date(2026, 12, 24)
    await closures.create_closure(db, shop.business_id, day, day, now=NOW)
    await staff.add_override(
        db, shop.business_id, shop.sam, TUESDAY, [(time(9), time(12))], now=NOW
    )


async def test_taking_a_service_from_a_staff_member_strands_its_bookings(db, shop):
    """Alex stops doing colour: Alex's colour appointment is named; the haircut one is not."""
    colour = await book(db, shop, at=time(10), staff_id=shop.alex, service_id=shop.colour)
    await book(db, shop, at=time(14), staff_id=shop.alex, service_id=shop.haircut)
    with pytest.raises(WouldStrand) as refused:
        await staff.set_services(
            db, shop.business_id, shop.alex, [shop.haircut, shop.trim], now=NOW
        )
    assert [a.id for a in refused.value.affected] == [colour]
    assert "no longer performs" in refused.value.affected[0].why


async def test_a_new_time_zone_that_moves_bookings_out_of_hours_is_refused(db, shop):
    """New York to London keeps the instants: a 10:00 booking would be at 15:00 local time,
    and a 14:00 one at 19:00, outside Sam's hours: the change is refused naming it."""
    await book(db, shop, at=time(10))
    late = await book(db, shop, at=time(14))
    with pytest.raises(WouldStrand) as refused:
        await businesses.update_business(
            db, shop.business_id, timezone="Europe/London",
            appointments_keep=ZoneChange.INSTANTS, now=NOW,
        )  # fmt: skip
    assert [a.id for a in refused.value.affected] == [late]
    assert refused.value.affected[0].local_time == "19:00"
    unchanged = await businesses.get_business(db, shop.business_id)
    assert unchanged.timezone == "America/New_York"


async def test_a_booking_racing_a_closure_is_never_stranded(db, shop):
    """A closure and a booking for that day, at once: either the booking is refused (the day
    is closed) or the closure is refused (it would strand the booking); never both made."""
    results = await asyncio.gather(
        closures.create_closure(db, shop.business_id, TUESDAY, TUESDAY, "Flood", now=NOW),
        book(db, shop, at=time(11)),
        return_exceptions=True,
    )
    closed = not isinstance(results[0], BaseException)
    booked = not isinstance(results[1], BaseException)
    assert closed != booked, results
    if closed:
        assert isinstance(results[1], errors.BookingError)
    else:
        assert isinstance(results[0], WouldStrand)


async def test_a_booking_started_during_a_closure_waits_and_sees_it(db, shop):
    """A closure's transaction is open (its lock held, its row written, not yet committed)
    when a booking for that day starts: the booking waits for it, then is refused because the
    day is closed. Without the wait it would have checked an old schedule and been stranded."""
    from booking.models import Closure
    from booking.services.schedule_lock import hold_schedule

    booking: asyncio.Task[int] | None = None
    async with db.write() as session:
        await hold_schedule(session, shop.business_id, changing=True)
        session.add(
            Closure(business_id=shop.business_id, starts_on=TUESDAY, ends_on=TUESDAY, reason="x")
        )
        await session.flush()
        booking = asyncio.create_task(book(db, shop, at=time(11)))
        await asyncio.sleep(0.3)
        assert not booking.done()  # waiting for the closure to commit
    with pytest.raises(errors.BookingError):
        await asyncio.wait_for(booking, 10)
    async with db.read() as session:
        assert list(await session.scalars(select(Appointment))) == []


async def test_a_new_time_zone_with_future_bookings_must_say_what_they_keep(db, shop):
    """With future bookings, a new time zone without a choice is refused, saying both
    choices; nothing changes."""
    await book(db, shop)
    with pytest.raises(errors.Conflict, match="appointments_keep=local_times"):
        await businesses.update_business(db, shop.business_id, timezone="America/Chicago", now=NOW)
    assert (await businesses.get_business(db, shop.business_id)).timezone == "America/New_York"


async def test_keeping_local_times_moves_each_booking_to_the_same_wall_time(db, shop):
    """New York to Chicago keeping local times: 10:00 stays 10:00, an hour later in UTC; kept
    instants would have made it 9:00 instead."""
    ten = await book(db, shop, at=time(10))
    await businesses.update_business(
        db, shop.business_id, timezone="America/Chicago",
        appointments_keep=ZoneChange.LOCAL_TIMES, now=NOW,
    )  # fmt: skip
    moved = await appointments.get_appointment(db, shop.business_id, ten)
    assert (moved.local_date, moved.local_time) == (TUESDAY, time(10))
    assert moved.starts_at.hour == 16  # 10:00 CST is 16:00 UTC (was 15:00)
    assert moved.status == AppointmentStatus.BOOKED


async def test_keeping_instants_changes_local_times_only(db, shop):
    """Keeping instants, the booking stays at 15:00 UTC and reads 9:00 in Chicago, still in
    Sam's hours, so nothing is stranded."""
    ten = await book(db, shop, at=time(10))
    await businesses.update_business(
        db, shop.business_id, timezone="America/Chicago",
        appointments_keep=ZoneChange.INSTANTS, now=NOW,
    )  # fmt: skip
    kept = await appointments.get_appointment(db, shop.business_id, ten)
    assert kept.local_time == time(9) and kept.starts_at.hour == 15


async def test_keeping_a_local_time_the_new_zone_skips_is_refused_whole(db, shop):
    """A booking at 02:30 on the night New York's clocks go forward cannot keep its local time
    there: the whole change is refused, the zone and every booking unchanged."""
    from datetime import UTC, datetime

    await businesses.update_business(
        db, shop.business_id, timezone="Asia/Tokyo", horizon_days=365, now=NOW
    )
    await staff.set_weekly_hours(
        db, shop.business_id, shop.sam, {6: [(time(0), time(6))], 0: [(time(9), time(17))]}
    )
    early = datetime(2027, 3, 1, tzinfo=UTC)
    night = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id, customer_id=shop.ada, staff_id=shop.sam,
            local_date=date(2027, 3, 14), local_time=time(2, 30), duration_minutes=30,
        ),
        now=early,
    )  # fmt: skip
    with pytest.raises(errors.InvalidInput, match="skips when its clocks go forward"):
        await businesses.update_business(
            db, shop.business_id, timezone="America/New_York",
            appointments_keep=ZoneChange.LOCAL_TIMES, now=early,
        )  # fmt: skip
    assert (await businesses.get_business(db, shop.business_id)).timezone == "Asia/Tokyo"
    unchanged = await appointments.get_appointment(db, shop.business_id, night.id)
    assert unchanged.starts_at == night.starts_at


async def test_keeping_local_times_moves_reminders_and_tells_webhooks(db, shop):
    """A booking re-anchored to a new zone is announced as moved, and its reminder moves to
    the new instant."""
    from booking.models import WebhookDelivery

    await webhooks.create_subscription(
        db, shop.business_id, "https://hooks.example.com/b",
        ["appointment.moved", "appointment.reminder"],
    )  # fmt: skip
    ten = await book(db, shop, at=time(10))
    await businesses.update_business(
        db, shop.business_id, timezone="America/Chicago",
        appointments_keep=ZoneChange.LOCAL_TIMES, now=NOW,
    )  # fmt: skip
    moved = await appointments.get_appointment(db, shop.business_id, ten)
    async with db.read() as session:
        deliveries = list(await session.scalars(select(WebhookDelivery)))
    [announced] = [d for d in deliveries if d.event == "appointment.moved"]
    assert announced.payload["data"]["appointment_time"] == "10:00"
    assert announced.payload["data"]["timezone"] == "America/Chicago"
    [reminder] = [d for d in deliveries if d.event == "appointment.reminder"]
    assert reminder.next_attempt_at == moved.starts_at - timedelta(days=1)

"""An admin's mistaken completed or no-show can be put back to booked, but never onto a time
someone else has booked since: the slot is never double-booked through a status change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from booking import errors
from booking.models import Appointment, AppointmentStatus
from booking.services import appointments, customers

MONDAY_BEFORE = datetime(2026, 11, 23, 12, tzinfo=UTC)
AFTER_IT = datetime(2026, 11, 25, 12, tzinfo=UTC)
TUESDAY = date(2026, 11, 24)


async def book(db, shop, customer_id: int, now: datetime) -> int:
    booked = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=customer_id,
            staff_id=shop.sam,
            local_date=TUESDAY,
            local_time=time(10),
            duration_minutes=30,
        ),
        now=now,
    )
    return booked.id


async def test_a_mistaken_no_show_goes_back_to_booked_while_its_time_is_free(db, shop):
    """No-show, then corrected to booked: the appointment is booked again."""
    mine = await book(db, shop, shop.ada, MONDAY_BEFORE)
    marked = AppointmentStatus.NO_SHOW
    await appointments.set_status(db, shop.business_id, mine, marked, now=AFTER_IT)
    back = await appointments.set_status(
        db, shop.business_id, mine, AppointmentStatus.BOOKED, now=AFTER_IT
    )
    assert back.status == AppointmentStatus.BOOKED


async def test_back_to_booked_is_refused_when_the_time_was_booked_since(db, shop):
    """Completed frees the time; someone books it; putting the first back to booked is a 409
    conflict, and exactly one booked appointment holds the time."""
    mine = await book(db, shop, shop.ada, MONDAY_BEFORE)
    done = AppointmentStatus.COMPLETED
    await appointments.set_status(db, shop.business_id, mine, done, now=AFTER_IT)
    eve = await customers.create_customer(db, shop.business_id, phone="+12125550166", name="Eve")
    theirs = await book(db, shop, eve.id, MONDAY_BEFORE)
    with pytest.raises(errors.Conflict, match="booked by someone else since"):
        await appointments.set_status(
            db, shop.business_id, mine, AppointmentStatus.BOOKED, now=AFTER_IT
        )
    async with db.read() as session:
        booked = list(
            await session.scalars(
                select(Appointment.id).where(Appointment.status == AppointmentStatus.BOOKED)
            )
        )
    assert booked == [theirs]


async def test_a_cancelled_appointment_never_comes_back(db, shop):
    """Cancelled is final: putting it back to booked is refused."""
    mine = await book(db, shop, shop.ada, MONDAY_BEFORE)
    await appointments.cancel(db, shop.business_id, mine, now=MONDAY_BEFORE)
    with pytest.raises(errors.Conflict, match="a cancelled appointment cannot be marked booked"):
        await appointments.set_status(
            db, shop.business_id, mine, AppointmentStatus.BOOKED, now=AFTER_IT
        )

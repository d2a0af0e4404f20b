"""The appointment's status machine: booked, then completed or no-show once it has started, or
cancelled; completed and no-show may be corrected."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from booking.db import Database
from booking.errors import Conflict
from booking.models import Appointment, AppointmentStatus
from booking.services.appointment_announce import announce
from booking.services.appointment_info import AppointmentInfo, describe, load
from booking.services.businesses import read_business
from booking.services.integrity import is_overlap

# Completed and no-show may be swapped, or put back to booked, so an admin can correct a
# mistake; back to booked only while its time is still free (the database checks).
_NEXT_STATUS = {
    AppointmentStatus.BOOKED: {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELLED,
    },
    AppointmentStatus.COMPLETED: {AppointmentStatus.NO_SHOW, AppointmentStatus.BOOKED},
    AppointmentStatus.NO_SHOW: {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED},
    AppointmentStatus.CANCELLED: set(),
}
_AFTER_THE_START = {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW}


def check_transition(appointment: Appointment, to: AppointmentStatus, now: datetime) -> None:
    """Refuse a status change the state machine does not allow, saying why."""
    current = appointment.status
    if to not in _NEXT_STATUS[current]:
        raise Conflict(f"a {current.value} appointment cannot be marked {to.value}")
    if to in _AFTER_THE_START and appointment.starts_at > now:
        raise Conflict(f"an appointment can be marked {to.value} only once it has started")


async def set_status(
    db: Database,
    business_id: int,
    appointment_id: int,
    status: AppointmentStatus,
    *,
    now: datetime | None = None,
) -> AppointmentInfo:
    """Mark an appointment completed or no-show (or cancel it, without a cut-off), as the
    state machine allows."""
    now = now or datetime.now(UTC)
    async with db.write() as session:
        business = await read_business(session, business_id)
        appointment = await load(session, business_id, appointment_id, for_update=True)
        check_transition(appointment, status, now)
        appointment.status = status
        try:
            await session.flush()
        except IntegrityError as exc:
            if is_overlap(exc):
                raise Conflict(
                    "its time has been booked by someone else since; it cannot be booked again"
                ) from None
            raise
        changed = await describe(session, appointment, business.zone)
        if status == AppointmentStatus.CANCELLED:
            await announce(session, "appointment.cancelled", changed, now)
        return changed

"""The UID of the event a booking writes to a staff member's calendar: stable per appointment,
so a move updates the same event, and recognisable, so reading the calendar back does not count
our own bookings a second time as the staff member's busy time."""

from __future__ import annotations

import re

_PREFIX = "booking-appointment-"
_OURS = re.compile(rf"^{_PREFIX}(\d+)@")


def booking_uid(appointment_id: int, domain: str = "booking") -> str:
    """The event UID for an appointment (`booking-appointment-42@booking`)."""
    return f"{_PREFIX}{appointment_id}@{domain}"


def appointment_id_of(uid: str) -> int | None:
    """The appointment an event UID was written for, or None for anyone else's event."""
    match = _OURS.match(uid.strip())
    return int(match.group(1)) if match else None

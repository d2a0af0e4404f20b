"""The promises audit: every "booked", "moved" or "cancelled" a caller was told is a row.

Reads the call's tool-call log (what each tool answered the model, which the model then says
to the caller) and checks the appointments at the end of the call: the appointment named in
each promise exists, has the status promised, and is at the time and with the staff member
that were said. A later promise about the same appointment (booked, then cancelled) wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from booking.agent.speech import spoken_slot
from booking.db import Database
from booking.errors import NotFound
from booking.models import AppointmentStatus, Call, ToolCall
from booking.services import appointments

BOOKED = re.compile(r"^Booked: (?P<when>.+?)(?: for [^.]+)?\. Appointment number (?P<id>\d+)\.")
MOVED = re.compile(r"^Moved\. Appointment (?P<id>\d+): (?P<when>.+?)(?: \([^)]*\))?\.$")
CANCELLED = re.compile(r"^Cancelled appointment (?P<id>\d+) on (?P<when>.+)\.$")


@dataclass(frozen=True)
class Promise:
    appointment_id: int
    status: AppointmentStatus
    spoken: str
    said: str


def promises_in(results: list[str]) -> dict[int, Promise]:
    """The last promise made about each appointment, from the tools' answers in order."""
    made: dict[int, Promise] = {}
    for text in results:
        for pattern, status in (
            (BOOKED, AppointmentStatus.BOOKED),
            (MOVED, AppointmentStatus.BOOKED),
            (CANCELLED, AppointmentStatus.CANCELLED),
        ):
            if found := pattern.match(text):
                number = int(found["id"])
                made[number] = Promise(number, status, found["when"], text)
    return made


async def audit_promises(db: Database, call_id: int) -> int:
    """Assert that every promise of the call is backed by a row; returns how many there were."""
    async with db.read() as session:
        call = await session.get(Call, call_id)
        assert call is not None, f"no call {call_id}"
        results = list(
            await session.scalars(
                select(ToolCall.result)
                .where(ToolCall.call_id == call_id, ToolCall.result.is_not(None))
                .order_by(ToolCall.id)
            )
        )
    made = promises_in([r for r in results if r])
    for promise in made.values():
        try:
            row = await appointments.get_appointment(db, call.business_id, promise.appointment_id)
        except NotFound:
            raise AssertionError(f"promised {promise.said!r}, but no such appointment") from None
        assert row.status == promise.status, (
            f"promised {promise.said!r}, but appointment {row.id} is {row.status}"
        )
        actual = spoken_slot(row.local_date, row.local_time, row.staff_name)
        assert actual == promise.spoken, f"promised {promise.said!r}, but it is at {actual}"
    return len(made)

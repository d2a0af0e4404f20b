"""The promises audit itself: it reads every kind of promise and fails on one with no row."""

from __future__ import annotations

import pytest

from booking.models import AppointmentStatus
from booking.services import appointments, calls
from tests.agent.promises import audit_promises, promises_in
from tests.agent.test_conversations import book_for
from tests.conftest import NOW


def test_the_last_promise_about_an_appointment_wins():
    """Booked, moved and cancelled answers are read; a later one replaces an earlier one."""
    made = promises_in(
        [
            "T1: Tuesday the 1st of December at 9 AM with Sam",
            "Booked: Tuesday the 1st of December at 9 AM with Sam for Haircut. "
            "Appointment number 7.",
            "Moved. Appointment 7: Wednesday the 2nd of December at 10 AM with Sam (Haircut).",
            "Cancelled appointment 8 on Thursday the 3rd of December at 1 PM with Alex.",
        ]
    )
    assert {n: (p.status, p.spoken) for n, p in made.items()} == {
        7: (AppointmentStatus.BOOKED, "Wednesday the 2nd of December at 10 AM with Sam"),
        8: (AppointmentStatus.CANCELLED, "Thursday the 3rd of December at 1 PM with Alex"),
    }


async def test_a_promise_without_its_row_fails_the_audit(db, shop):
    """A call that told the caller "booked" for an appointment that is cancelled fails the
    audit; the same call passes while the appointment stands."""
    from booking.agent.caller import CallerLine, identify_call

    setup = await identify_call(
        db, CallerLine(caller="+12345678900", dialled="+12125550100", room_name="r"), None, NOW
    )
    assert setup is not None
    booked = await book_for(db, shop, shop.ada, day="2026-12-01", at="09:00")
    said = f"Booked: Tuesday the 1st of December at 9 AM with Sam. Appointment number {booked.id}."
    await calls.record_tool_call(
        db, setup.call_id, name="book_appointment", arguments={}, result=said, error=None,
        latency_ms=1.0,
    )  # fmt: skip
    assert await audit_promises(db, setup.call_id) == 1
    await appointments.cancel(db, shop.business_id, booked.id, now=NOW)
    with pytest.raises(AssertionError, match="is cancelled"):
        await audit_promises(db, setup.call_id)

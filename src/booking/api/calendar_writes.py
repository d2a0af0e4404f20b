"""How bookings reach a staff member's own calendar: a CalDAV connection's recent writes, each
with every attempt (`GET /api/staff/{id}/calendars/{connection_id}/writes`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from booking.api.auth import require_owner
from booking.api.state import business_id, database
from booking.api.webhooks import DeliveryOut
from booking.services import calendar_writes


class CalendarWritesController(Controller):
    path = "/staff/{staff_id:int}/calendars/{connection_id:int}/writes"
    tags = ["staff calendars"]
    guards = [require_owner]

    @get(
        "/",
        summary="Recent bookings written to this calendar, newest first, with every attempt",
        description=(
            "Each booking, move and cancellation of the staff member writes the appointment "
            "(as it is when sent) to the connection's write_calendar; a write that failed "
            "says why in its history (401: the login; 404 or 409: no such calendar)."
        ),
    )
    async def list_writes(
        self, request: Request[Any, Any, Any], staff_id: int, connection_id: int
    ) -> list[DeliveryOut]:
        found = await calendar_writes.list_writes(
            database(request), business_id(request), staff_id, connection_id
        )
        return [DeliveryOut.of(d) for d in found]

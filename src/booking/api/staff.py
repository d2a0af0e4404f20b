"""`POST /api/staff/{id}/generate-slots`: what the schedule yields over a range; changes nothing.

Kept from the seed, where slots were rows; here they follow from hours and bookings, so this
reports them instead of storing them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, post
from litestar.status_codes import HTTP_200_OK

from booking.api.schemas import DaySummary, GeneratedSlotsOut, GenerateSlots, SlotOut
from booking.api.state import business_id, database, now
from booking.services import availability
from booking.services.businesses import get_business
from booking.services.localtime import parse_date

DEFAULT_DAYS = 14


class StaffController(Controller):
    path = "/staff"
    tags = ["staff"]

    @post("/{staff_id:int}/generate-slots", status_code=HTTP_200_OK, summary="Preview free slots")
    async def generate_slots(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        data: GenerateSlots | None = None,
    ) -> GeneratedSlotsOut:
        db, owner = database(request), business_id(request)
        business = await get_business(db, owner)
        current = now(request)
        today = current.astimezone(business.zone).date()
        body = data or GenerateSlots()
        first = parse_date(body.start_date, "start_date") if body.start_date else today
        last = (
            parse_date(body.end_date, "end_date")
            if body.end_date
            else first + timedelta(days=DEFAULT_DAYS)
        )
        slots = await availability.find_slots(
            db, owner, start_date=first, end_date=last, staff_id=staff_id, now=current
        )
        by_day: dict[str, list[SlotOut]] = defaultdict(list)
        for slot in slots:
            by_day[slot.local_date.isoformat()].append(SlotOut.of(slot))
        days = []
        day = first
        while day <= last:
            found = by_day.get(day.isoformat(), [])
            days.append(
                DaySummary(
                    date=day.isoformat(),
                    count=len(found),
                    first=found[0].time if found else None,
                    last=found[-1].time if found else None,
                )
            )
            day += timedelta(days=1)
        return GeneratedSlotsOut(
            staff_id=staff_id,
            timezone=business.timezone,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            duration_minutes=availability.DEFAULT_DURATION_MINUTES,
            slots=[SlotOut.of(slot) for slot in slots],
            days=days,
        )

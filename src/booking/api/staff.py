"""`POST /api/staff/{id}/generate-slots`: what the schedule yields over a range; changes nothing.

Kept from the seed, where slots were rows; here they follow from hours and bookings, so this
reports them instead of storing them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from booking.api.admin_schemas import (
    HoursIn,
    HoursOut,
    OverrideIn,
    OverrideOut,
    ServicesOfStaff,
    StaffIn,
    StaffOut,
    StaffUpdate,
)
from booking.api.schemas import DaySummary, GeneratedSlotsOut, GenerateSlots, SlotOut
from booking.api.state import business_id, database, now
from booking.api.stranded import OnAffected
from booking.services import availability, staff
from booking.services.businesses import get_business
from booking.services.localtime import parse_date
from booking.services.stranding import OnStranded

DEFAULT_DAYS = 14


class StaffController(Controller):
    path = "/staff"
    tags = ["staff"]

    @get("/", summary="List staff (inactive ones with include_inactive=true)")
    async def list_staff(
        self, request: Request[Any, Any, Any], include_inactive: bool = False
    ) -> list[StaffOut]:
        members = await staff.list_staff(
            database(request), business_id(request), active_only=not include_inactive
        )
        return [StaffOut.of(m) for m in members]

    @post("/", status_code=HTTP_201_CREATED, summary="Add a staff member")
    async def create(self, request: Request[Any, Any, Any], data: StaffIn) -> StaffOut:
        created = await staff.create_staff(
            database(request),
            business_id(request),
            data.name,
            weekly_hours=data.hours.as_weekday_map() if data.hours else None,
            service_ids=data.service_ids,
        )
        return StaffOut.of(created)

    @get("/{staff_id:int}", summary="Read a staff member")
    async def read(self, request: Request[Any, Any, Any], staff_id: int) -> StaffOut:
        return StaffOut.of(await staff.get_staff(database(request), business_id(request), staff_id))

    @patch("/{staff_id:int}", summary="Rename, (de)activate or change services")
    async def update(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        data: StaffUpdate,
        on_affected: OnAffected = OnStranded.REFUSE,
    ) -> StaffOut:
        changes = data.model_dump(exclude_unset=True)
        updated = await staff.update_staff(
            database(request), business_id(request), staff_id,
            on_affected=on_affected, now=now(request), **changes,
        )  # fmt: skip
        return StaffOut.of(updated)

    @delete("/{staff_id:int}", status_code=HTTP_200_OK, summary="Deactivate (history is kept)")
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        on_affected: OnAffected = OnStranded.REFUSE,
    ) -> StaffOut:
        updated = await staff.update_staff(
            database(request), business_id(request), staff_id, active=False,
            on_affected=on_affected, now=now(request),
        )  # fmt: skip
        return StaffOut.of(updated)

    @get("/{staff_id:int}/hours", summary="Weekly hours")
    async def hours(self, request: Request[Any, Any, Any], staff_id: int) -> HoursOut:
        return HoursOut.of(await staff.get_staff(database(request), business_id(request), staff_id))

    @put("/{staff_id:int}/hours", summary="Replace weekly hours as a whole")
    async def replace_hours(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        data: HoursIn,
        on_affected: OnAffected = OnStranded.REFUSE,
    ) -> HoursOut:
        updated = await staff.set_weekly_hours(
            database(request), business_id(request), staff_id, data.as_weekday_map(),
            on_affected=on_affected, now=now(request),
        )  # fmt: skip
        return HoursOut.of(updated)

    @put("/{staff_id:int}/services", summary="Replace the services this member performs")
    async def replace_services(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        data: ServicesOfStaff,
        on_affected: OnAffected = OnStranded.REFUSE,
    ) -> StaffOut:
        updated = await staff.set_services(
            database(request), business_id(request), staff_id, data.service_ids,
            on_affected=on_affected, now=now(request),
        )  # fmt: skip
        return StaffOut.of(updated)

    @get("/{staff_id:int}/overrides", summary="Date overrides: days off and special hours")
    async def overrides(self, request: Request[Any, Any, Any], staff_id: int) -> list[OverrideOut]:
        found = await staff.list_overrides(database(request), business_id(request), staff_id)
        return [OverrideOut.of(o) for o in found]

    @post(
        "/{staff_id:int}/overrides",
        status_code=HTTP_201_CREATED,
        summary="Set one date's hours (no intervals: a day off)",
    )
    async def set_override(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        data: OverrideIn,
        on_affected: OnAffected = OnStranded.REFUSE,
    ) -> OverrideOut:
        db, owner = database(request), business_id(request)
        intervals = [(i.opens_at, i.closes_at) for i in data.intervals]
        await staff.add_override(
            db, owner, staff_id, data.date, intervals, data.reason,
            on_affected=on_affected, now=now(request),
        )  # fmt: skip
        found = await staff.list_overrides(db, owner, staff_id, data.date)
        return OverrideOut.of(found[0])

    @delete("/{staff_id:int}/overrides/{on_date:str}", summary="Remove a date override")
    async def delete_override(
        self, request: Request[Any, Any, Any], staff_id: int, on_date: str
    ) -> None:
        day = parse_date(on_date, "on_date")
        await staff.delete_override(database(request), business_id(request), staff_id, day)

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

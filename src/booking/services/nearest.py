"""The free times nearest to one that was asked for and is not free: what the web page offers
when a time was taken meanwhile or is outside working hours (the same availability search)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from booking.db import Database
from booking.services.availability import Slot, find_slots
from booking.services.businesses import get_business
from booking.services.localtime import first_instant_at_or_after

LOOK_AHEAD_DAYS = 7


async def nearest_free(
    db: Database,
    business_id: int,
    *,
    day: date,
    at: time | None,
    staff_id: int | None,
    service_id: int | None,
    duration_minutes: int | None,
    now: datetime,
    count: int = 6,
    exclude_appointment_id: int | None = None,
) -> list[Slot]:
    """Up to `count` free starts on `day` closest to `at` (earlier or later), topped up with
    the first ones of the following days when the day has too few; in time order. A move
    passes its appointment as `exclude_appointment_id`: its own time is free for it."""
    business = await get_business(db, business_id)
    target = first_instant_at_or_after(day, at or time(12), business.zone)
    same_day = await find_slots(
        db,
        business_id,
        start_date=day,
        staff_id=staff_id,
        service_id=service_id,
        duration_minutes=duration_minutes,
        now=now,
        exclude_appointment_id=exclude_appointment_id,
    )
    chosen = sorted(same_day, key=lambda s: (abs(s.starts_at - target), s.staff_id))[:count]
    if len(chosen) < count:
        later = await find_slots(
            db,
            business_id,
            start_date=day + timedelta(days=1),
            end_date=day + timedelta(days=LOOK_AHEAD_DAYS),
            staff_id=staff_id,
            service_id=service_id,
            duration_minutes=duration_minutes,
            now=now,
            limit=count - len(chosen),
            exclude_appointment_id=exclude_appointment_id,
        )
        chosen += later
    return sorted(chosen, key=lambda s: (s.starts_at, s.staff_id))

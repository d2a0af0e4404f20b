"""Free times for admins: a staff member, or a service across staff, over a date range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from booking.api.admin_schemas import AvailabilityOut, AvailabilitySlot
from booking.api.search_window import date_range, refuse_past_horizon
from booking.api.state import business_id, database, now
from booking.errors import InvalidInput
from booking.models import MAX_ID
from booking.services import availability
from booking.services.businesses import get_business

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000


class AvailabilityController(Controller):
    path = "/availability"
    tags = ["availability"]

    @get("/", summary="Free start times in local time, with the UTC instant beside each")
    async def free_times(
        self,
        request: Request[Any, Any, Any],
        start_date: Annotated[str, Parameter(max_length=10)],
        end_date: Annotated[str | None, Parameter(max_length=10)] = None,
        staff_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        service_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        duration_minutes: Annotated[int | None, Parameter(ge=5, le=720)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> AvailabilityOut:
        """At most `limit` slots per answer, earliest first; when there are more, `next_after`
        is the `after` to send for the next page."""
        db, owner, current = database(request), business_id(request), now(request)
        first, last = date_range(start_date, end_date)
        cursor = parse_cursor(after) if after else None
        business = await get_business(db, owner)
        refuse_past_horizon(business, current, first, last)
        slots = await availability.find_slots(
            db,
            owner,
            start_date=first,
            end_date=last,
            staff_id=staff_id,
            service_id=service_id,
            duration_minutes=duration_minutes,
            now=current,
            after=cursor,
            limit=limit + 1,  # one more than shown tells whether another page follows
        )
        page, more = slots[:limit], len(slots) > limit
        minutes = (
            int((slots[0].ends_at - slots[0].starts_at) / timedelta(minutes=1))
            if slots
            else duration_minutes or availability.DEFAULT_DURATION_MINUTES
        )
        return AvailabilityOut(
            timezone=business.timezone,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            duration_minutes=minutes,
            slots=[
                AvailabilitySlot(
                    date=s.local_date.isoformat(),
                    time=s.local_time.strftime("%H:%M"),
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    staff_id=s.staff_id,
                    staff_name=s.staff_name,
                )
                for s in page
            ],
            next_after=cursor_of(page[-1]) if more else None,
        )


def cursor_of(slot: availability.Slot) -> str:
    """Where the next page starts: after this slot's instant and staff member."""
    return f"{slot.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}.{slot.staff_id}"


def parse_cursor(text: str) -> tuple[datetime, int]:
    try:
        instant, staff = text.split(".", 1)
        return datetime.strptime(instant, "%Y%m%dT%H%MZ").replace(tzinfo=UTC), int(staff)
    except ValueError:
        raise InvalidInput("after", "must be the next_after of an earlier answer") from None

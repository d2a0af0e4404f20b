"""Each staff member's iCalendar feed: open, its secret key in the URL (calendar apps send no
headers), and the token-guarded routes that show the feed's URL and rotate its key."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.status_codes import HTTP_200_OK

from booking.api.admin_schemas import CalendarFeedOut
from booking.api.plain_errors import NotFoundBy
from booking.api.state import business_id, database, now
from booking.errors import NotFound
from booking.services import staff
from booking.services.calendar_feed import FeedEvent, StaffFeed, feed_by_key
from booking.services.ical_time import vtimezone, wall_time

# icalendar (~0.05 s to import) is imported where a feed is rendered, not at start-up.
if TYPE_CHECKING:
    from icalendar import Event

FEED_PATH = "/api/staff/{staff_id:int}/calendar.ics"
PRODID = "-//booking//staff calendar feed//EN"
REFRESH = timedelta(minutes=15)
WRONG_KEY = (
    "the key in this calendar feed's URL is wrong or has been replaced; "
    "ask an admin for the feed's current URL"
)


def feed_url(request: Request[Any, Any, Any], staff_id: int, key: str) -> str:
    """The whole URL, host included: a calendar app is given it to subscribe to."""
    base = str(request.base_url).rstrip("/")
    return f"{base}/api/staff/{staff_id}/calendar.ics?{urlencode({'key': key})}"


@get(
    FEED_PATH,
    summary="A staff member's appointments as iCalendar (open: the key in the URL is the secret)",
    tags=["staff"],
    media_type="text/calendar",
)
async def calendar_feed(
    request: Request[Any, Any, Any], staff_id: int, key: str | None = None
) -> Response[bytes]:
    """Wrong, old or missing keys and unknown staff all answer the same 404, which says the
    key is wrong without telling whether the staff member exists."""
    current = now(request)
    try:
        feed = await feed_by_key(database(request), staff_id, key, current)
    except NotFound:
        raise NotFoundBy("calendar feed", WRONG_KEY) from None
    return Response(
        content=render_feed(feed, current),
        media_type="text/calendar",
        headers={"Content-Disposition": f'inline; filename="staff-{staff_id}.ics"'},
    )


class CalendarFeedController(Controller):
    path = "/staff/{staff_id:int}/calendar-feed"
    tags = ["staff"]

    @get("/", summary="The current URL of the staff member's calendar feed")
    async def read(self, request: Request[Any, Any, Any], staff_id: int) -> CalendarFeedOut:
        key = await staff.calendar_key_of(database(request), business_id(request), staff_id)
        if not key:
            raise NotFound("calendar feed", staff_id)
        return CalendarFeedOut(url=feed_url(request, staff_id, key))

    @post("/", status_code=HTTP_200_OK, summary="Rotate the feed's key; the old URL stops working")
    async def rotate(self, request: Request[Any, Any, Any], staff_id: int) -> CalendarFeedOut:
        key = await staff.rotate_calendar_key(database(request), business_id(request), staff_id)
        return CalendarFeedOut(url=feed_url(request, staff_id, key))


def one_line(text: str) -> str:
    """Stored names are checked on the way in, but a feed must never fail on one that got
    past: control characters become spaces (icalendar refuses line breaks in a value)."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


def _event(item: FeedEvent, zone: ZoneInfo) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"appt-{item.appointment_id}@booking")
    event.add("dtstamp", item.updated_at)
    event.add("created", item.created_at)
    event.add("last-modified", item.updated_at)
    event.add("dtstart", wall_time(item.starts_at, zone))
    event.add("dtend", wall_time(item.ends_at, zone))
    what = one_line(item.service_name or "Appointment")
    who = one_line(item.customer_first_name or "")
    flag = " (outside hours)" if item.outside_hours else ""  # kept through a schedule change
    event.add("summary", (f"{what} – {who}" if who else what) + flag)
    event.add("status", "CONFIRMED")
    return event


def render_feed(feed: StaffFeed, current: datetime) -> bytes:
    """The feed as an iCalendar document: names, the zone's VTIMEZONE, one VEVENT each."""
    from icalendar import Calendar, vDuration

    zone = ZoneInfo(feed.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", one_line(f"{feed.staff_name} ({feed.business_name})"))
    calendar.add("x-wr-timezone", feed.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    years = [current.year - 1, current.year + 1]
    years += [e.starts_at.year for e in feed.events] + [e.ends_at.year for e in feed.events]
    calendar.add_component(vtimezone(feed.timezone, min(years), max(years)))
    for item in feed.events:
        calendar.add_component(_event(item, zone))
    document: bytes = calendar.to_ical()
    return document

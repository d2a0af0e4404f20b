"""Calendar texts the tests serve, and a helper that adds a connection to a staff member."""

from __future__ import annotations

from datetime import datetime

from booking.db import Database
from booking.models import BusyInterval, CalendarConnection
from booking.services import calendar_connections
from tests.conftest import NOW

# Google's "secret address in iCal format": times in UTC, the calendar's zone only in
# X-WR-TIMEZONE. The standup started before the clocks went back (1 November 2026), at 10:00
# New York time: it stays at 10:00 local after the change only if the feed is read in its zone.
GOOGLE_FEED = b"""BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
CALSCALE:GREGORIAN\r
X-WR-CALNAME:Sam\r
X-WR-TIMEZONE:America/New_York\r
BEGIN:VEVENT\r
UID:standup@google.com\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261020T140000Z\r
DTEND:20261020T150000Z\r
RRULE:FREQ=WEEKLY;BYDAY=TU\r
SUMMARY:Private standup\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:holiday@google.com\r
DTSTAMP:20261001T000000Z\r
DTSTART;VALUE=DATE:20261202\r
DTEND;VALUE=DATE:20261203\r
SUMMARY:Day off\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:free@google.com\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261203T150000Z\r
DTEND:20261203T160000Z\r
TRANSP:TRANSPARENT\r
SUMMARY:Reminder only\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:cancelled@google.com\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261203T190000Z\r
DTEND:20261203T200000Z\r
STATUS:CANCELLED\r
SUMMARY:Called off\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:booking-appointment-77@booking\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261203T200000Z\r
DTEND:20261203T203000Z\r
SUMMARY:Ada - Haircut\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:floating@example.com\r
DTSTAMP:20261001T000000Z\r
DTSTART:20261204T090000\r
DTEND:20261204T100000\r
SUMMARY:School run\r
END:VEVENT\r
END:VCALENDAR\r
"""

HTML_PAGE = b"<!DOCTYPE html><html><body>Sign in to view this calendar</body></html>"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def connect(
    db: Database, business_id: int, staff_id: int, **fields: object
) -> calendar_connections.ConnectionInfo:
    """A connection as an admin makes it; private addresses allowed (the servers are local)."""
    return await calendar_connections.create_connection(
        db, business_id, staff_id, now=NOW, allow_private=True, **fields
    )


async def stored_busy(db: Database, connection_id: int) -> list[tuple[int, datetime, datetime]]:
    """The connection's busy rows: (id, start, end), in order."""
    from sqlalchemy import select

    async with db.read() as session:
        rows = await session.execute(
            select(BusyInterval.id, BusyInterval.starts_at, BusyInterval.ends_at)
            .where(BusyInterval.connection_id == connection_id)
            .order_by(BusyInterval.starts_at)
        )
        return [(r.id, r.starts_at, r.ends_at) for r in rows]


async def connection_row(db: Database, connection_id: int) -> CalendarConnection:
    async with db.read() as session:
        row = await session.get(CalendarConnection, connection_id)
        assert row is not None
        session.expunge(row)
        return row

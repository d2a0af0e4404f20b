"""Reading a CalDAV account on a real server (Radicale): a weekly event with one instance moved
and one cancelled, across the spring clock change, and what is offered because of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from booking.db import Database
from booking.services import availability
from booking.services.calendar_sync import CalendarSync, SyncSettings
from tests.calendars.feeds import connect, connection_row, stored_busy, utc
from tests.calendars.radicale_server import RadicaleServer
from tests.factories import Shop

# Monday 1 March 2027, 09:00 in New York; the clocks go forward on Sunday 14 March.
SPRING = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""

# Tuesdays at 10:00 New York time, six times; the 16th moved to Wednesday 17th at 14:00, the
# 23rd cancelled.
PHYSIO = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
{VTIMEZONE}
BEGIN:VEVENT
UID:physio@example.com
DTSTAMP:20270201T000000Z
DTSTART;TZID=America/New_York:20270302T100000
DTEND;TZID=America/New_York:20270302T110000
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Physio
END:VEVENT
BEGIN:VEVENT
UID:physio@example.com
DTSTAMP:20270201T000000Z
RECURRENCE-ID;TZID=America/New_York:20270316T100000
DTSTART;TZID=America/New_York:20270317T140000
DTEND;TZID=America/New_York:20270317T150000
SUMMARY:Physio (moved)
END:VEVENT
BEGIN:VEVENT
UID:physio@example.com
DTSTAMP:20270201T000000Z
RECURRENCE-ID;TZID=America/New_York:20270323T100000
DTSTART;TZID=America/New_York:20270323T100000
DTEND;TZID=America/New_York:20270323T110000
STATUS:CANCELLED
SUMMARY:Physio
END:VEVENT
END:VCALENDAR
"""

OTHER = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:family@example.com
DTSTAMP:20270201T000000Z
DTSTART:20270304T150000Z
DTEND:20270304T160000Z
SUMMARY:Not read: another calendar
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
async def syncer(db: Database) -> AsyncIterator[CalendarSync]:
    async with httpx.AsyncClient() as client:
        yield CalendarSync(
            db, client, SyncSettings(timeout_seconds=10, allow_private=True), clock=lambda: SPRING
        )


async def offered(db: Database, shop: Shop, day: date) -> set[str]:
    slots = await availability.find_slots(
        db, shop.business_id, start_date=day, staff_id=shop.sam, service_id=shop.trim, now=SPRING
    )
    return {s.local_time.strftime("%H:%M") for s in slots}


async def test_a_weekly_event_with_a_moved_and_a_cancelled_instance_across_dst(
    db: Database, shop: Shop, radicale: RadicaleServer, syncer: CalendarSync
) -> None:
    """The chosen calendar's series blocks 10:00-11:00 local on each Tuesday before and after
    the clock change (15:00 then 14:00 UTC), blocks the moved instance at its new time and not
    its old one, and leaves the cancelled one free; another calendar of the account is not
    read. A change on the server is picked up by the next sync; no change, no rewrite."""
    personal = radicale.make_calendar("personal")
    family = radicale.make_calendar("family")
    radicale.put_event(personal, "physio", PHYSIO)
    radicale.put_event(family, "family", OTHER)
    connection = await connect(
        db, shop.business_id, shop.sam, kind="caldav", url=radicale.url,
        username=radicale.username, password=radicale.password, read_calendars=["personal"],
    )  # fmt: skip

    assert await syncer.sync(connection.id, due_only=True) is True
    busy = [(start, end) for _, start, end in await stored_busy(db, connection.id)]
    assert busy == [
        (utc("2027-03-02T15:00:00+00:00"), utc("2027-03-02T16:00:00+00:00")),
        (utc("2027-03-09T15:00:00+00:00"), utc("2027-03-09T16:00:00+00:00")),
        (utc("2027-03-17T18:00:00+00:00"), utc("2027-03-17T19:00:00+00:00")),
        (utc("2027-03-30T14:00:00+00:00"), utc("2027-03-30T15:00:00+00:00")),
        (utc("2027-04-06T14:00:00+00:00"), utc("2027-04-06T15:00:00+00:00")),
    ]
    assert "10:00" not in await offered(db, shop, date(2027, 3, 9))
    assert "10:00" in await offered(db, shop, date(2027, 3, 16))  # moved away
    assert "14:00" not in await offered(db, shop, date(2027, 3, 17))  # moved here
    assert "10:00" in await offered(db, shop, date(2027, 3, 23))  # cancelled
    assert "10:00" not in await offered(db, shop, date(2027, 3, 30))  # after the change
    assert "10:00" in await offered(db, shop, date(2027, 3, 4))  # the other calendar
    row = await connection_row(db, connection.id)
    assert row.last_error is None and row.busy_seen == 5

    unchanged_rows = await stored_busy(db, connection.id)
    assert await syncer.sync(connection.id, due_only=False) is True
    assert await stored_busy(db, connection.id) == unchanged_rows  # ctag unchanged: not re-read

    radicale.delete_event(personal, "physio")
    assert await syncer.sync(connection.id, due_only=False) is True
    assert await stored_busy(db, connection.id) == []
    assert "10:00" in await offered(db, shop, date(2027, 3, 9))


async def test_a_wrong_password_is_recorded_without_secrets(
    db: Database, shop: Shop, radicale: RadicaleServer, syncer: CalendarSync
) -> None:
    """A refused login is a recorded failure naming the cause, never the password."""
    radicale.make_calendar("personal")
    connection = await connect(
        db, shop.business_id, shop.sam, kind="caldav", url=radicale.url,
        username=radicale.username, password="not-the-password",
    )  # fmt: skip
    assert await syncer.sync(connection.id, due_only=False) is False
    row = await connection_row(db, connection.id)
    assert row.last_error == "the server refused the user name or password"
    assert row.failures == 1


def test_every_request_the_library_makes_is_checked(radicale: RadicaleServer) -> None:
    """Inside the worker thread, each request of the CalDAV library (not only the saved
    address: redirects, the principal's and calendars' URLs) passes the outbound guard: with
    private addresses not allowed, the loopback server is never asked."""
    from booking.services import calendar_caldav
    from booking.services.calendar_ics import FetchFailed

    account = calendar_caldav.Account(radicale.url, radicale.username, radicale.password)
    window = (SPRING, SPRING + timedelta(days=30))
    with pytest.raises(FetchFailed, match=r"not allowed: 127\.0\.0\.1 is a loopback address"):
        calendar_caldav._read_blocking(account, {}, window, 5.0, 10**6, allow_private=False)

"""A time the staff member's own calendar fills after it was offered on the phone is refused at
booking, as a taken slot is, and the caller hears fresh times that avoid it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from booking.models import Appointment
from booking.services.calendar_sync import CalendarSync, SyncSettings
from tests.agent.scripted import tool
from tests.calendars.feeds import connect
from tests.calendars.ics_server import IcsServer
from tests.conftest import NOW

ZONE = ZoneInfo("America/New_York")


def feed_blocking(start: datetime, end: datetime) -> bytes:
    stamp = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:dentist@example.com\r\nDTSTAMP:20261130T000000Z\r\n"
        f"DTSTART:{start.astimezone(UTC):{stamp}}\r\nDTEND:{end.astimezone(UTC):{stamp}}\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


async def test_a_time_that_turned_busy_after_it_was_offered_is_refused_with_fresh_times(
    db, shop, phone
):
    """Sam's calendar gains a dentist appointment over the first offered time between the
    offer and the caller's yes: booking it is refused as just taken, the fresh options skip
    the hour, and nothing is booked."""
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have some times.",
        tool("book_appointment", option_id="T1"),
        "Sorry, that went.",
    )
    await call.say("Tuesday with Sam")
    first = call.state.options["T1"]
    start = datetime.combine(first.local_date, first.local_time, tzinfo=ZONE)
    busy_until = start + timedelta(hours=1)

    with IcsServer.start() as feed:
        feed.body = feed_blocking(start, busy_until)
        connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
        async with httpx.AsyncClient() as client:
            sync = CalendarSync(db, client, SyncSettings(allow_private=True), clock=lambda: NOW)
            assert await sync.sync(connection.id, due_only=False) is True

    result = await call.say("The first one")
    result.expect.skip_next()
    refused = result.expect.next_event().is_function_call_output(is_error=True)
    text = refused.event().item.output
    assert "was just taken" in text and "T4:" in text
    fresh = [o for key, o in call.state.options.items() if key not in ("T1", "T2", "T3")]
    assert fresh
    for option in fresh:
        begins = datetime.combine(option.local_date, option.local_time, tzinfo=ZONE)
        ends = begins + timedelta(minutes=option.duration_minutes)
        assert ends <= start or begins >= busy_until, option.spoken
    async with db.read() as session:
        assert list(await session.scalars(select(Appointment))) == []

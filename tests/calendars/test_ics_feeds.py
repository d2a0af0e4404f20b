"""ICS feeds over a local HTTP server: what a feed makes busy, and what is offered then; a
second fetch answered 304; feeds that fail keep their last good busy times."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta

import httpx
import pytest
from prometheus_client import REGISTRY

from booking.db import Database
from booking.services import availability, calendar_store, staff
from booking.services.calendar_sync import CalendarSync, SyncSettings
from tests.calendars.feeds import (
    GOOGLE_FEED,
    HTML_PAGE,
    connect,
    connection_row,
    stored_busy,
    utc,
)
from tests.calendars.ics_server import IcsServer
from tests.conftest import NOW
from tests.factories import Shop

SETTINGS = SyncSettings(timeout_seconds=1.0, max_bytes=len(GOOGLE_FEED) + 500, allow_private=True)


@pytest.fixture
def feed() -> Iterator[IcsServer]:
    with IcsServer.start() as server:
        server.body = GOOGLE_FEED
        yield server


@pytest.fixture
async def syncer(db: Database) -> AsyncIterator[CalendarSync]:
    async with httpx.AsyncClient() as client:
        yield CalendarSync(db, client, SETTINGS, clock=lambda: NOW)


async def offered(db: Database, shop: Shop, day: date) -> list[str]:
    """Sam's haircut times (30 minutes and a 10-minute buffer) on a day, as HH:MM."""
    slots = await availability.find_slots(
        db, shop.business_id, start_date=day, staff_id=shop.sam, service_id=shop.haircut, now=NOW
    )
    return [s.local_time.strftime("%H:%M") for s in slots]


def failed_syncs() -> float:
    labels = {"kind": "ics", "outcome": "failed"}
    return REGISTRY.get_sample_value("booking_calendar_syncs_total", labels) or 0.0


async def test_a_google_feed_blocks_its_busy_times_and_nothing_else(
    db: Database, shop: Shop, feed: IcsServer, syncer: CalendarSync
) -> None:
    """A weekly UTC event in an X-WR-TIMEZONE feed stays at 10:00 local after the clocks go
    back; an all-day event blocks the whole local day; a floating time is read in the
    business's zone; transparent, cancelled and our own bookings' events block nothing."""
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    assert await syncer.sync(connection.id, due_only=True) is True

    busy = [(start, end) for _, start, end in await stored_busy(db, connection.id)]
    assert (utc("2026-12-01T15:00:00+00:00"), utc("2026-12-01T16:00:00+00:00")) in busy
    assert (utc("2026-12-02T05:00:00+00:00"), utc("2026-12-03T05:00:00+00:00")) in busy
    assert (utc("2026-12-04T14:00:00+00:00"), utc("2026-12-04T15:00:00+00:00")) in busy
    assert not [b for b in busy if b[0].date() == date(2026, 12, 3)]
    assert len(busy) == 9 + 1 + 1  # nine Tuesdays within the 60-day horizon, a day, a school run

    tuesday = await offered(db, shop, date(2026, 12, 1))
    assert "09:00" in tuesday and "11:00" in tuesday
    assert not {"09:30", "10:00", "10:30"} & set(tuesday)  # 09:30 + 40 min reaches 10:00
    assert await offered(db, shop, date(2026, 12, 2)) == []
    thursday = await offered(db, shop, date(2026, 12, 3))
    assert {"10:00", "14:00", "15:00"} <= set(thursday)
    friday = await offered(db, shop, date(2026, 12, 4))
    assert "09:00" not in friday and "10:00" in friday

    row = await connection_row(db, connection.id)
    assert row.last_synced_at == NOW and row.last_error is None
    assert row.busy_seen == 11 and row.events_seen >= 14
    assert row.next_sync_at == NOW + SETTINGS.interval


async def test_an_unchanged_feed_answered_304_is_not_read_again(
    db: Database, shop: Shop, feed: IcsServer, syncer: CalendarSync
) -> None:
    """The second fetch sends the ETag; the server's 304 keeps the stored rows as they are
    (the same rows, not rewritten) even though the body behind it has changed."""
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    await syncer.sync(connection.id, due_only=False)
    first_rows = await stored_busy(db, connection.id)
    first_state = (await connection_row(db, connection.id)).sync_state
    assert first_state["etag"] == feed.current_etag()

    feed.etag = feed.current_etag()  # the server says "unchanged" whatever it now holds
    feed.body = GOOGLE_FEED.replace(b"DTSTART;VALUE=DATE:20261202", b"DTSTART;VALUE=DATE:20261209")
    assert await syncer.sync(connection.id, due_only=False) is True

    assert await stored_busy(db, connection.id) == first_rows
    row = await connection_row(db, connection.id)
    assert row.sync_state == first_state and row.last_error is None
    assert feed.conditional_requests == 1


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("html", "HTML page instead of iCalendar"),
        ("timeout", "no complete answer within 1 seconds"),
        ("oversize", "larger than the limit"),
        ("401", "the server answered 401"),
        ("404", "the server answered 404"),
        ("503", "the server answered 503"),
    ],
)
async def test_a_failing_feed_keeps_its_last_good_busy_times(
    db: Database, shop: Shop, feed: IcsServer, syncer: CalendarSync, breakage: str, error: str
) -> None:
    """A feed that turns into HTML, times out, grows past the cap or answers an error keeps the
    busy times of its last good read; the error is recorded (without the address), the
    failure counted on the connection and in /metrics, and the next try backed off."""
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    await syncer.sync(connection.id, due_only=False)
    good_rows = await stored_busy(db, connection.id)
    before = failed_syncs()

    if breakage == "html":
        feed.body, feed.content_type = HTML_PAGE, "text/html"
    elif breakage == "timeout":
        feed.delay_seconds = 2.0
    elif breakage == "oversize":
        feed.body = GOOGLE_FEED.replace(b"SUMMARY:School run", b"SUMMARY:" + b"x" * 2000)
    else:
        feed.status = int(breakage)
    assert await syncer.sync(connection.id, due_only=False) is False

    assert await stored_busy(db, connection.id) == good_rows
    row = await connection_row(db, connection.id)
    assert row.last_error is not None and error in row.last_error
    assert feed.url not in row.last_error and "127.0.0.1" not in row.last_error
    assert row.failures == 1 and row.last_synced_at == NOW
    assert row.next_sync_at == NOW + SETTINGS.interval
    assert failed_syncs() == before + 1
    assert "10:00" not in await offered(db, shop, date(2026, 12, 1))  # still blocked

    assert await syncer.sync(connection.id, due_only=False) is False
    row = await connection_row(db, connection.id)
    assert row.failures == 2 and row.next_sync_at == NOW + 2 * SETTINGS.interval


async def test_a_due_sync_waits_for_its_interval(
    db: Database, shop: Shop, feed: IcsServer, syncer: CalendarSync
) -> None:
    """A connection synced now is not due again until the interval has passed."""
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    assert await syncer.run_due() == 1
    assert await syncer.run_due() == 0
    assert feed.requests == 1
    async with httpx.AsyncClient() as client:
        later = CalendarSync(db, client, SETTINGS, clock=lambda: NOW + timedelta(minutes=5))
        assert await later.run_due() == 1
    assert feed.requests == 2
    assert (await connection_row(db, connection.id)).last_error is None


async def test_a_dead_process_lease_runs_out(db: Database, shop: Shop, feed: IcsServer) -> None:
    """A process that took a connection and died holds it only until its lease runs out;
    another process then syncs it."""
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    taken = await calendar_store.take_lease(
        db, connection.id, "dead-process", NOW, SETTINGS.lease_seconds, due_only=True
    )
    assert taken is not None
    lease_ends = NOW + timedelta(seconds=SETTINGS.lease_seconds)
    async with httpx.AsyncClient() as client:
        before = CalendarSync(db, client, SETTINGS, clock=lambda: lease_ends - timedelta(seconds=1))
        assert await before.run_due() == 0
        after = CalendarSync(db, client, SETTINGS, clock=lambda: lease_ends)
        assert await after.run_due() == 1
    assert feed.requests == 1
    row = await connection_row(db, connection.id)
    assert row.last_synced_at == lease_ends and row.lease_owner is None


async def test_an_unchanged_feed_is_read_afresh_as_the_horizon_moves_on(
    db: Database, shop: Shop, feed: IcsServer, syncer: CalendarSync
) -> None:
    """A feed that answers 304 for days is still read whole once the horizon has moved a day
    past what was expanded, so the weekly event appears in the newly bookable days."""
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    await syncer.sync(connection.id, due_only=False)
    last_tuesday = max(start for _, start, _ in await stored_busy(db, connection.id))
    feed.etag = feed.current_etag()
    async with httpx.AsyncClient() as client:
        hours = CalendarSync(db, client, SETTINGS, clock=lambda: NOW + timedelta(hours=20))
        assert await hours.sync(connection.id, due_only=False) is True
        assert feed.conditional_requests == 1  # a 304: nothing new
        assert max(s for _, s, _ in await stored_busy(db, connection.id)) == last_tuesday
        week = CalendarSync(db, client, SETTINGS, clock=lambda: NOW + timedelta(days=7))
        assert await week.sync(connection.id, due_only=False) is True
    assert feed.conditional_requests == 1  # asked whole, not conditionally
    latest = max(start for _, start, _ in await stored_busy(db, connection.id))
    assert latest == last_tuesday + timedelta(days=7)


async def test_the_calendars_of_a_staff_member_who_left_are_not_fetched(
    db: Database, shop: Shop, feed: IcsServer, syncer: CalendarSync
) -> None:
    """Once a staff member is deactivated, the worker no longer fetches their calendars."""
    await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    await staff.update_staff(db, shop.business_id, shop.sam, active=False, now=NOW)
    assert await syncer.run_due() == 0
    assert feed.requests == 0

"""Busy times from a staff calendar in the booking and move transactions: refused as a taken
slot is; an appointment already booked there is kept (a busy time cancels nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time

import httpx
import pytest

from booking.db import Database
from booking.errors import SlotUnavailable
from booking.models import AppointmentStatus
from booking.services import appointments
from booking.services.calendar_sync import CalendarSync, SyncSettings
from tests.calendars.feeds import GOOGLE_FEED, connect
from tests.calendars.ics_server import IcsServer
from tests.conftest import NOW
from tests.factories import Shop

TUESDAY = date(2026, 12, 1)  # the feed's standup: 10:00-11:00 New York time


@pytest.fixture
async def synced_feed(db: Database, shop: Shop) -> AsyncIterator[IcsServer]:
    """A local feed server for Sam's calendar; `sync_feed` connects it and reads it."""
    with IcsServer.start() as feed:
        feed.body = b""
        yield feed


async def sync_feed(db: Database, shop: Shop, feed: IcsServer) -> None:
    feed.body = GOOGLE_FEED
    connection = await connect(db, shop.business_id, shop.sam, kind="ics", url=feed.url)
    async with httpx.AsyncClient() as client:
        sync = CalendarSync(db, client, SyncSettings(allow_private=True), clock=lambda: NOW)
        assert await sync.sync(connection.id, due_only=False) is True


def request(shop: Shop, at: time, day: date = TUESDAY) -> appointments.BookingRequest:
    return appointments.BookingRequest(
        business_id=shop.business_id, customer_id=shop.ada, staff_id=shop.sam,
        local_date=day, local_time=at, service_id=shop.trim,
    )  # fmt: skip


async def test_booking_or_moving_into_a_busy_time_is_refused(
    db: Database, shop: Shop, synced_feed: IcsServer
) -> None:
    """A booking at 10:30 on the standup's Tuesday is SlotUnavailable; so is moving an
    appointment there, which then stays where it was; 11:00 is free."""
    await sync_feed(db, shop, synced_feed)
    with pytest.raises(SlotUnavailable):
        await appointments.book(db, request(shop, time(10, 30)), now=NOW)
    booked = await appointments.book(db, request(shop, time(11)), now=NOW)
    with pytest.raises(SlotUnavailable):
        await appointments.move(
            db, shop.business_id, booked.id, local_date=TUESDAY, local_time=time(10), now=NOW
        )
    kept = await appointments.get_appointment(db, shop.business_id, booked.id)
    assert kept.local_time == time(11) and kept.status == AppointmentStatus.BOOKED


async def test_an_appointment_booked_before_the_calendar_filled_is_kept(
    db: Database, shop: Shop, synced_feed: IcsServer
) -> None:
    """An appointment at 10:00 booked before the feed said the hour is busy stays booked."""
    booked = await appointments.book(db, request(shop, time(10)), now=NOW)
    await sync_feed(db, shop, synced_feed)
    kept = await appointments.get_appointment(db, shop.business_id, booked.id)
    assert kept.status == AppointmentStatus.BOOKED and kept.local_time == time(10)

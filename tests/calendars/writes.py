"""Helpers of the write-back tests: a CalDAV connection that writes bookings, the outbox run
once, bookings made, and what the calendar and the outbox hold."""

from __future__ import annotations

from datetime import date, datetime, time

import httpx
from icalendar import Event
from sqlalchemy import select

from booking.db import Database
from booking.models import Channel, WebhookAttempt, WebhookDelivery
from booking.models.calendar import CalendarConnection, CalendarKind
from booking.services import appointments, webhook_sender
from booking.services.appointments import BookingRequest
from tests.calendars.radicale_server import RadicaleServer
from tests.conftest import NOW
from tests.factories import Shop

DAY = date(2026, 12, 1)  # a Tuesday: Sam and Alex both work


async def connect(
    db: Database,
    shop: Shop,
    staff_id: int,
    calendar: str,
    *,
    password: str | None = None,
    username: str = "staff",
) -> int:
    """A CalDAV connection of a staff member that writes bookings to `calendar`."""
    async with db.write() as session:
        row = CalendarConnection(
            business_id=shop.business_id,
            staff_id=staff_id,
            kind=CalendarKind.CALDAV,
            name="phone",
            url=calendar.rsplit("/", 3)[0] + "/",
            username=username,
            password=password or "app-password-7f3k",
            read_calendars=[],
            write_calendar=calendar,
            sync_state={},
        )
        session.add(row)
        await session.flush()
        return row.id


async def send(db: Database, at: datetime = NOW, *, allow_private: bool = True) -> int:
    """Run the outbox once at `at`, as `booking serve` does, its receivers on loopback."""
    async with httpx.AsyncClient() as http:
        return await webhook_sender.deliver_due(
            db, http, clock=lambda: at, allow_private=allow_private
        )


def events(radicale: RadicaleServer, calendar: str) -> dict[str, Event]:
    """The events in a calendar by UID."""
    found = {}
    for text in radicale.events(calendar):
        event = Event.from_ical(text)
        found[str(event["UID"])] = event
    return found


async def book(db: Database, shop: Shop, at: time = time(10), staff_id: int | None = None) -> int:
    """A haircut for Ada on DAY, with notes that must never reach the calendar."""
    booked = await appointments.book(
        db,
        BookingRequest(
            shop.business_id,
            shop.ada,
            DAY,
            at,
            staff_id=staff_id or shop.sam,
            service_id=shop.haircut,
            notes="door code 4411",
        ),
        now=NOW,
    )
    return booked.id


async def calendar_deliveries(db: Database) -> list[WebhookDelivery]:
    """The calendar channel's deliveries, in the order they were written."""
    async with db.read() as session:
        return list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.channel == Channel.CALENDAR)
                .order_by(WebhookDelivery.id)
            )
        )


async def attempt_errors(db: Database) -> list[str | None]:
    """The error of each attempt, in order (None for one that succeeded)."""
    async with db.read() as session:
        return list(await session.scalars(select(WebhookAttempt.error)))

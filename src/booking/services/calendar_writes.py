"""Bookings written to staff members' own CalDAV calendars: each booking, move and cancellation
queues a `calendar` delivery, in its own transaction, for every active CalDAV connection of the
staff members it concerns that has a `write_calendar`; `calendar_channel` sends it.

A delivery names only the connection and the appointment. The outbox sends concurrently and may
reorder, so what is written is worked out when it is sent, from the appointment as it is then
(`current_write`): a booked appointment of the connection's staff member is PUT as an event, one
that is cancelled, gone, or now someone else's is DELETEd. The event shows the customer's name
and the service, never their number or the notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import NotFound
from booking.models import (
    Appointment,
    AppointmentStatus,
    Business,
    Channel,
    Customer,
    DeliveryStatus,
    Service,
    WebhookDelivery,
)
from booking.models.calendar import CalendarConnection, CalendarKind
from booking.services.calendar_uid import booking_uid
from booking.services.ical_time import vtimezone, wall_time
from booking.services.staff import load_staff
from booking.services.webhooks import DeliveryInfo, with_attempts

PRODID = "-//booking//staff calendar//EN"

_connections = CalendarConnection.__table__
# Built once: every booking, move and cancellation runs it.
_WRITERS = select(_connections.c.id, _connections.c.write_calendar).where(
    _connections.c.staff_id.in_(bindparam("staff_ids", expanding=True)),
    _connections.c.active.is_(True),
    _connections.c.kind == CalendarKind.CALDAV.value,
    _connections.c.write_calendar.is_not(None),
    _connections.c.write_calendar != "",
)


async def enqueue(
    session: AsyncSession,
    business_id: int,
    appointment_id: int,
    staff_ids: Iterable[int],
    event: str,
    now: datetime,
    *,
    only_if_present: bool = False,
) -> None:
    """Queue a write of the appointment to the calendars its staff members (the new and, for a
    move between them, the old one) write bookings to, inside the caller's transaction.
    `only_if_present`: rewrite the event only where it already is (never create one)."""
    wanted = sorted(set(staff_ids))
    for connection_id, calendar in await session.execute(_WRITERS, {"staff_ids": wanted}):
        session.add(
            WebhookDelivery(
                channel=Channel.CALENDAR,
                subscription_id=None,
                business_id=business_id,
                appointment_id=appointment_id,
                event=event,
                # The calendar is here only so the outbox can count sends per host; the send
                # reads the connection afresh.
                payload={
                    "event": event,
                    "occurred_at": now.isoformat(),
                    "connection_id": connection_id,
                    "appointment_id": appointment_id,
                    "calendar": calendar,
                    **({"only_if_present": True} if only_if_present else {}),
                },
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
            )
        )


async def enqueue_for_appointments(
    session: AsyncSession,
    business_id: int,
    appointment_ids: Iterable[int],
    event: str,
    now: datetime,
    *,
    only_if_present: bool = False,
) -> None:
    """Queue writes for appointments changed in bulk (an erasure), each to its staff member's
    calendars."""
    rows = await session.execute(
        select(Appointment.id, Appointment.staff_id).where(
            Appointment.id.in_(sorted(set(appointment_ids)))
        )
    )
    for appointment_id, staff_id in rows:
        await enqueue(
            session,
            business_id,
            appointment_id,
            [staff_id],
            event,
            now,
            only_if_present=only_if_present,
        )


@dataclass(frozen=True)
class Login:
    """Where a connection writes bookings, and with what account."""

    calendar: str
    username: str | None
    password: str | None


@dataclass(frozen=True)
class Write:
    """What the calendar should hold for one appointment now: an event to PUT at `href`
    (`ics`), or nothing there (`ics` None: DELETE). `key` is what makes two writes the same
    (the event's content without its time stamp), to notice a change made while sending."""

    href: str
    ics: bytes | None
    key: tuple[object, ...]


class NothingToWrite(Exception):
    """The connection is gone, inactive or writes no calendar any more: there is nowhere to
    write; `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def event_href(calendar: str, appointment_id: int) -> str:
    """The event's stable address in a calendar: `<calendar>/<uid>.ics`."""
    return f"{calendar.rstrip('/')}/{quote(booking_uid(appointment_id), safe='')}.ics"


def summary(customer_name: str | None, service_name: str | None) -> str:
    """ "Customer name: service", what the staff member needs to see and nothing more."""
    what = service_name or "Appointment"
    return f"{customer_name}: {what}" if customer_name else what


async def _login(session: AsyncSession, connection_id: int) -> tuple[CalendarConnection, Login]:
    connection = await session.get(CalendarConnection, connection_id)
    if connection is None:
        raise NothingToWrite("the calendar connection was removed: nothing written")
    if not connection.active or connection.kind != CalendarKind.CALDAV:
        raise NothingToWrite("the calendar connection is not an active CalDAV one: nothing written")
    if not connection.write_calendar:
        raise NothingToWrite("the calendar connection no longer writes bookings: nothing written")
    return connection, Login(connection.write_calendar, connection.username, connection.password)


async def _shared_calendar(
    session: AsyncSession, staff_id: int, calendar: str, connection_id: int
) -> bool:
    """Whether the appointment's (new) staff member writes to this same calendar through a
    connection of their own: then the event stays, and that connection's write updates it."""
    others = await session.scalars(
        select(CalendarConnection.write_calendar).where(
            CalendarConnection.staff_id == staff_id,
            CalendarConnection.id != connection_id,
            CalendarConnection.active.is_(True),
            CalendarConnection.kind == CalendarKind.CALDAV.value,
        )
    )
    return any((other or "").rstrip("/") == calendar.rstrip("/") for other in others)


async def current_write(
    session: AsyncSession, connection_id: int, appointment_id: int, now: datetime
) -> tuple[Login, Write | None]:
    """The connection's login and what its calendar should hold for the appointment now
    (None: nothing to do there). Raises NothingToWrite when there is no calendar to write."""
    connection, login = await _login(session, connection_id)
    href = event_href(login.calendar, appointment_id)
    appointment = await session.get(Appointment, appointment_id)
    if (
        appointment is None
        or appointment.status == AppointmentStatus.CANCELLED
        or appointment.business_id != connection.business_id
    ):
        return login, Write(href, None, ("delete", href))
    if appointment.staff_id != connection.staff_id:
        if await _shared_calendar(session, appointment.staff_id, login.calendar, connection.id):
            return login, None
        return login, Write(href, None, ("delete", href))
    zone_name = await session.scalar(
        select(Business.timezone).where(Business.id == appointment.business_id)
    )
    service = (
        await session.scalar(select(Service.name).where(Service.id == appointment.service_id))
        if appointment.service_id
        else None
    )
    customer = (
        await session.scalar(select(Customer.name).where(Customer.id == appointment.customer_id))
        if appointment.customer_id
        else None
    )
    title = summary(customer, service)
    zone = str(zone_name or "UTC")
    key = ("put", href, appointment.starts_at, appointment.ends_at, zone, title)
    ics = render_event(appointment_id, appointment.starts_at, appointment.ends_at, zone, title, now)
    return login, Write(href, ics, key)


def render_event(
    appointment_id: int, starts: datetime, ends: datetime, zone_name: str, title: str, now: datetime
) -> bytes:
    """One VEVENT in the business's zone, with its VTIMEZONE, busy (TRANSP:OPAQUE)."""
    from icalendar import Calendar, Event

    zone = ZoneInfo(zone_name)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(vtimezone(zone_name, starts.year, ends.year))
    event = Event()
    event.add("uid", booking_uid(appointment_id))
    event.add("dtstamp", now)
    event.add("dtstart", wall_time(starts, zone))
    event.add("dtend", wall_time(ends, zone))
    event.add("summary", title)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document


async def list_writes(
    db: Database, business_id: int, staff_id: int, connection_id: int, limit: int = 100
) -> list[DeliveryInfo]:
    """A connection's recent writes, newest first, each with every attempt: how the owner sees
    that bookings reach the staff member's calendar (or why not)."""
    async with db.read() as session:
        row = await session.get(CalendarConnection, connection_id)
        if row is None or row.business_id != business_id or row.staff_id != staff_id:
            await load_staff(session, business_id, staff_id)  # an unknown staff member says so
            raise NotFound("calendar connection", connection_id)
        writes = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.business_id == business_id,
                    WebhookDelivery.channel == Channel.CALENDAR,
                    WebhookDelivery.payload["connection_id"].as_integer() == connection_id,
                )
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            )
        )
        return await with_attempts(session, writes)

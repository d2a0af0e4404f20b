"""Bookings written back to a staff member's CalDAV calendar (a real Radicale) through the
outbox: created, moved and deleted as the appointment is booked, moved and cancelled, by every
path, and never for a change that rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from booking.api.app import create_app
from booking.db import Database
from booking.models import AppointmentStatus, DeliveryStatus, WebhookDelivery
from booking.models.calendar import CalendarConnection, CalendarKind
from booking.services import (
    appointments,
    availability,
    businesses,
    customers,
    erasure,
    staff,
    webhook_sender,
)
from booking.services.appointments import BookingRequest
from booking.services.businesses import ZoneChange
from booking.services.calendar_sync import CalendarSync, SyncSettings
from booking.services.calendar_uid import booking_uid
from booking.services.stranding import OnStranded
from tests.calendars.radicale_server import RadicaleServer
from tests.calendars.writes import DAY, book, calendar_deliveries, connect, events, send
from tests.conftest import NOW
from tests.factories import Shop


async def test_a_booking_is_created_moved_and_deleted_in_the_staff_calendar(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """Booking puts one event with the appointment's UID, its times in the business's zone
    (with the zone's VTIMEZONE) and "customer: service" as its title, nothing else about the
    customer; moving it changes that event's times; cancelling it removes the event."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    appointment_id = await book(db, shop)
    assert await send(db) == 1
    uid = booking_uid(appointment_id)
    [event] = events(radicale, calendar).values()
    assert str(event["UID"]) == uid
    assert str(event["SUMMARY"]) == "Ada: Haircut"
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 1, 10, 0, tzinfo=start.tzinfo)
    assert str(start.tzinfo) == "America/New_York"
    assert event.decoded("DTEND") - start == timedelta(minutes=30)
    [stored] = radicale.events(calendar)
    assert "4411" not in stored and "12345678900" not in stored and "2345678900" not in stored
    with radicale.client() as http:
        whole = http.get(calendar).content
    assert [tz["TZID"] for tz in Calendar.from_ical(whole).walk("VTIMEZONE")] == [
        "America/New_York"
    ]

    await appointments.move(
        db, shop.business_id, appointment_id, local_date=DAY, local_time=time(14), now=NOW
    )
    assert await send(db) == 1
    moved = events(radicale, calendar)[uid]
    assert moved.decoded("DTSTART").hour == 14 and moved.decoded("DTEND").hour == 14
    assert moved.decoded("DTEND").minute == 30
    assert len(events(radicale, calendar)) == 1

    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)
    assert await send(db) == 1
    assert events(radicale, calendar) == {}
    assert {d.status for d in await calendar_deliveries(db)} == {DeliveryStatus.DELIVERED}


async def test_a_move_to_another_staff_member_moves_the_event_between_their_calendars(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """Moved from Sam to Alex, the event leaves Sam's calendar and appears in Alex's."""
    sams = radicale.make_calendar("sam")
    alexs = radicale.make_calendar("alex")
    await connect(db, shop, shop.sam, sams)
    await connect(db, shop, shop.alex, alexs)
    appointment_id = await book(db, shop, time(11))
    await send(db)
    assert list(events(radicale, sams)) == [booking_uid(appointment_id)]
    await appointments.move(
        db,
        shop.business_id,
        appointment_id,
        local_date=DAY,
        local_time=time(15),
        staff_id=shop.alex,
        now=NOW,
    )
    assert await send(db) == 2  # one delivery per calendar
    assert events(radicale, sams) == {}
    [event] = events(radicale, alexs).values()
    assert str(event["UID"]) == booking_uid(appointment_id)
    assert event.decoded("DTSTART").hour == 15


async def test_a_staff_member_without_a_writing_calendar_gets_no_delivery(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """Only bookings of staff members whose CalDAV connection writes bookings are queued:
    Alex (no connection) and a read-only connection of Sam's get none."""
    async with db.write() as session:
        session.add(
            CalendarConnection(
                business_id=shop.business_id,
                staff_id=shop.sam,
                kind=CalendarKind.CALDAV,
                url=radicale.url,
                username="staff",
                password="app-password-7f3k",
                read_calendars=[],
                write_calendar=None,
                sync_state={},
            )
        )
    await book(db, shop, time(10))
    await book(db, shop, time(11), staff_id=shop.alex)
    assert await calendar_deliveries(db) == []


async def test_a_change_that_rolled_back_writes_nothing(
    db: Database, shop: Shop, radicale: RadicaleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A booking whose transaction fails after its calendar write was queued leaves no
    delivery and no event; a refused move (slot taken) writes nothing either."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    first = await book(db, shop, time(10))
    await book(db, shop, time(11))
    await send(db)
    real_announce = appointments.announce

    async def announce_then_fail(session, event, appointment, now, customer=None):
        await real_announce(session, event, appointment, now, customer)
        await session.flush()
        raise RuntimeError("the booking fails after its calendar write was queued")

    monkeypatch.setattr(appointments, "announce", announce_then_fail)
    with pytest.raises(RuntimeError):
        await book(db, shop, time(14))
    monkeypatch.undo()
    with pytest.raises(Exception, match="no longer free"):
        await appointments.move(
            db, shop.business_id, first, local_date=DAY, local_time=time(11), now=NOW
        )
    assert len(await calendar_deliveries(db)) == 2
    assert await send(db) == 0
    starts = sorted(e.decoded("DTSTART").hour for e in events(radicale, calendar).values())
    assert starts == [10, 11]


async def test_a_late_delivery_writes_the_appointment_as_it_is_now(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """The outbox may send a booking's write after the move's: each write carries the
    appointment as it is when sent, so the event ends at the moved time either way, and a
    cancellation sent before a stale booking write is not undone by it."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    appointment_id = await book(db, shop)
    await appointments.move(
        db, shop.business_id, appointment_id, local_date=DAY, local_time=time(15), now=NOW
    )
    _, moved_write = await calendar_deliveries(db)
    assert await webhook_sender.take_lease(db, moved_write.id, NOW, 60)  # the move's: later
    assert await send(db) == 1  # the booking's write, sent after the move
    [event] = events(radicale, calendar).values()
    assert event.decoded("DTSTART").hour == 15

    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)
    assert await send(db, NOW + timedelta(minutes=5)) == 2  # the cancel's, and the move's
    assert events(radicale, calendar) == {}


async def test_every_path_that_cancels_deletes_the_event(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """Marking an appointment cancelled through its status, and erasing its customer, take
    its event out of the calendar; erasure rewrites the customer's past event without their
    name and creates none that was not there."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    by_status = await book(db, shop, time(9))
    past = await book(db, shop, time(10))
    future = await appointments.book(
        db,
        BookingRequest(
            shop.business_id, shop.ada, DAY + timedelta(days=7), time(10), staff_id=shop.sam
        ),
        now=NOW,
    )
    await send(db)
    assert len(events(radicale, calendar)) == 3
    await appointments.set_status(
        db, shop.business_id, by_status, AppointmentStatus.CANCELLED, now=NOW
    )
    await send(db)
    assert booking_uid(by_status) not in events(radicale, calendar)

    after_the_first = datetime(2026, 12, 2, 12, 0, tzinfo=NOW.tzinfo)
    await erasure.erase_customer(db, shop.business_id, shop.ada, now=after_the_first)
    await send(db, after_the_first)
    left = events(radicale, calendar)
    assert list(left) == [booking_uid(past)]
    assert str(left[booking_uid(past)]["SUMMARY"]) == "Haircut"
    assert booking_uid(future.id) not in left
    async with db.read() as session:
        failed = await session.scalar(
            select(func.count()).where(WebhookDelivery.status == DeliveryStatus.FAILED)
        )
    assert failed == 0


async def test_renaming_the_customer_retitles_their_upcoming_events(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """A customer's new name reaches the title of their upcoming appointment's event."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    appointment_id = await book(db, shop)
    await send(db)
    await customers.update_customer(db, shop.business_id, shop.ada, name="Ada Lovelace", now=NOW)
    await send(db)
    event = events(radicale, calendar)[booking_uid(appointment_id)]
    assert str(event["SUMMARY"]) == "Ada Lovelace: Haircut"


async def test_schedule_changes_move_or_remove_the_event(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """A new time zone keeping local times moves the event to the same wall time in the new
    zone; a day off that cancels the day's bookings removes theirs."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    appointment_id = await book(db, shop)
    await send(db)
    await businesses.update_business(
        db, shop.business_id, timezone="America/Chicago",
        appointments_keep=ZoneChange.LOCAL_TIMES, now=NOW,
    )  # fmt: skip
    await send(db)
    start = events(radicale, calendar)[booking_uid(appointment_id)].decoded("DTSTART")
    assert (str(start.tzinfo), start.hour) == ("America/Chicago", 10)

    await staff.add_override(
        db, shop.business_id, shop.sam, DAY, (), "dentist", now=NOW,
        on_affected=OnStranded.CANCEL,
    )  # fmt: skip
    await send(db)
    assert events(radicale, calendar) == {}


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(db, clock=lambda: NOW, outbound_allow_private=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


async def test_a_booking_made_through_the_api_appears_in_the_calendar(
    db: Database, shop: Shop, radicale: RadicaleServer, client: httpx.AsyncClient
) -> None:
    """POST /api/appointments, then the outbox: the event is in the staff member's calendar
    at the booked local time."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    answer = await client.post(
        "/api/appointments",
        json={
            "customer_id": shop.ada,
            "staff_id": shop.sam,
            "appointment_date": "2026-12-01",
            "appointment_time": "16:15",
            "duration_minutes": 45,
        },
        headers={"Authorization": f"Bearer {shop.token}"},
    )
    assert answer.status_code == 201, answer.text
    assert await send(db) == 1
    [event] = events(radicale, calendar).values()
    assert str(event["UID"]) == booking_uid(answer.json()["id"])
    assert str(event["SUMMARY"]) == "Ada: Appointment"
    assert (event.decoded("DTSTART").hour, event.decoded("DTSTART").minute) == (16, 15)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)


async def test_events_written_for_bookings_are_not_read_back_as_busy_time(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """A calendar both read and written: syncing it counts the staff member's own event as
    busy but not the event written for a booking, so a cancelled booking's time is offered
    again even while its event is still waiting to be deleted."""
    calendar = radicale.make_calendar("bookings")
    connection_id = await connect(db, shop, shop.sam, calendar)
    appointment_id = await book(db, shop, time(10))
    await send(db)
    radicale.put_event(
        calendar,
        "dentist",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:dentist@example.com\r\nDTSTAMP:20261130T000000Z\r\n"
        "DTSTART:20261201T190000Z\r\nDTEND:20261201T200000Z\r\nSUMMARY:Dentist\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)
    assert len(events(radicale, calendar)) == 2  # the cancellation's delete not sent yet
    async with httpx.AsyncClient() as http:
        sync = CalendarSync(
            db, http, SyncSettings(timeout_seconds=10, allow_private=True), clock=lambda: NOW
        )
        assert await sync.sync(connection_id, due_only=False) is True
    async with db.read() as session:
        connection = await session.get(CalendarConnection, connection_id)
        assert connection is not None and connection.busy_seen == 1
    slots = await availability.find_slots(
        db, shop.business_id, start_date=DAY, staff_id=shop.sam, service_id=shop.trim, now=NOW
    )
    offered = {s.local_time.strftime("%H:%M") for s in slots}
    assert "10:00" in offered  # the cancelled booking's event blocks nothing
    assert "14:00" not in offered and "14:45" not in offered  # the dentist, 14:00-15:00

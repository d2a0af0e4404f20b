"""Bookings written back to a staff member's CalDAV calendar (a real Radicale) through the
outbox: created, moved and deleted as the appointment is booked, moved and cancelled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar, Event
from sqlalchemy import func, select

from booking.api.app import create_app
from booking.db import Database
from booking.models import AppointmentStatus, Channel, DeliveryStatus, WebhookDelivery
from booking.models.calendar import CalendarConnection, CalendarKind
from booking.services import appointments, businesses, erasure, staff, webhook_sender
from booking.services.appointments import BookingRequest
from booking.services.businesses import ZoneChange
from booking.services.calendar_uid import booking_uid
from booking.services.stranding import OnStranded
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
    async with db.read() as session:
        return list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.channel == Channel.CALENDAR)
                .order_by(WebhookDelivery.id)
            )
        )


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
    real_announce = appointments._announce

    async def announce_then_fail(session, event, appointment, now, customer=None):
        await real_announce(session, event, appointment, now, customer)
        await session.flush()
        raise RuntimeError("the booking fails after its calendar write was queued")

    monkeypatch.setattr(appointments, "_announce", announce_then_fail)
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


async def test_a_calendar_server_that_is_down_gets_the_event_once_back(
    db: Database, shop: Shop, tmp_path: Path
) -> None:
    """While Radicale is down the write is recorded as failed and retried; once it is back
    at its address, the retry puts the event there."""
    folder = tmp_path / "radicale"
    with RadicaleServer.start(folder) as server:
        calendar = server.make_calendar("bookings")
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
    await connect(db, shop, shop.sam, calendar)
    appointment_id = await book(db, shop)
    assert await send(db) == 1
    [delivery] = await calendar_deliveries(db)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > NOW
    assert await send(db) == 0  # backing off
    with RadicaleServer.start(folder, port=port) as server:
        assert await send(db, NOW + timedelta(minutes=5)) == 1
        assert list(events(server, calendar)) == [booking_uid(appointment_id)]
    [delivery] = await calendar_deliveries(db)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2


async def test_a_wrong_password_fails_the_write_at_once_with_a_clear_error(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """401 from the calendar server is not retried: the delivery fails, saying why."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar, password="not-the-password")
    await book(db, shop)
    await send(db)
    [delivery] = await calendar_deliveries(db)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    errors = await attempt_errors(db)
    assert errors == ["the calendar server refused the user name or password (401)"]


async def test_a_calendar_that_does_not_exist_fails_the_write_at_once(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """A PUT into a calendar that is not there (Radicale answers 409, as WebDAV says for a
    missing collection) is not retried, and the error says the calendar may not exist."""
    radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, f"{radicale.url}staff/nowhere/")
    await book(db, shop)
    await send(db)
    [delivery] = await calendar_deliveries(db)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    [error] = await attempt_errors(db)
    assert error is not None and "(409)" in error and "does not exist" in error


async def attempt_errors(db: Database) -> list[str | None]:
    from booking.models import WebhookAttempt

    async with db.read() as session:
        return list(await session.scalars(select(WebhookAttempt.error)))


async def test_a_calendar_on_a_private_address_is_not_written_without_the_setting(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """With OUTBOUND_ALLOW_PRIVATE off, a calendar on loopback is refused before connecting:
    the write fails with the reason and nothing reaches the server."""
    calendar = radicale.make_calendar("bookings")
    await connect(db, shop, shop.sam, calendar)
    await book(db, shop)
    await send(db, allow_private=False)
    [delivery] = await calendar_deliveries(db)
    assert delivery.status == DeliveryStatus.FAILED
    [error] = await attempt_errors(db)
    assert error is not None and "127.0.0.1 is a loopback address" in error
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

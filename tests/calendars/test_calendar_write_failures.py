"""Write-back when things go wrong: a calendar server that is down (retried until it is back),
a wrong password or a missing calendar (failed at once, saying why), a calendar on a private
address (refused by the outbound guard), and an appointment changed while it was written."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import httpx
from aiohttp import web
from icalendar import Calendar

from booking.api.app import create_app
from booking.db import Database
from booking.models import DeliveryStatus
from booking.services import appointments
from booking.services.calendar_uid import booking_uid
from tests.calendars.radicale_server import RadicaleServer
from tests.calendars.writes import (
    DAY,
    attempt_errors,
    book,
    calendar_deliveries,
    connect,
    events,
    send,
)
from tests.conftest import NOW
from tests.factories import Shop


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


async def test_a_change_made_while_the_event_was_written_is_written_too(
    db: Database, shop: Shop
) -> None:
    """The appointment is moved while its booking's event is being PUT (the server answers
    only after the move committed): that delivery is sent again, and the calendar ends up with
    the moved time whichever write the server saw last."""
    stored: dict[str, bytes] = {}
    moved: list[bool] = []

    async def put(request: web.Request) -> web.Response:
        body = await request.read()
        if not moved:  # the move commits while this first write is in flight
            moved.append(True)
            await appointments.move(
                db, shop.business_id, appointment_id, local_date=DAY, local_time=time(15), now=NOW
            )
        stored[request.path] = body
        return web.Response(status=201)

    app = web.Application()
    app.router.add_put("/cal/{name}", put)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        await connect(db, shop, shop.sam, f"http://127.0.0.1:{port}/cal/")
        appointment_id = await book(db, shop, time(10))
        assert await send(db) == 2  # the booking's write, then the move's
        booked_write, moved_write = await calendar_deliveries(db)
        assert booked_write.status == DeliveryStatus.PENDING  # to be sent again
        assert moved_write.status == DeliveryStatus.DELIVERED
        assert await attempt_errors(db) == [
            "the appointment changed while it was written; writing it again",
            None,
        ]
        assert await send(db, NOW + timedelta(minutes=5)) == 1
    finally:
        await runner.cleanup()
    [body] = stored.values()
    [event] = Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("DTSTART").hour == 15
    assert {d.status for d in await calendar_deliveries(db)} == {DeliveryStatus.DELIVERED}


async def test_the_owner_sees_each_write_and_why_it_failed(
    db: Database, shop: Shop, radicale: RadicaleServer
) -> None:
    """GET .../calendars/{id}/writes lists the connection's writes, newest first, each with
    its attempts and the reason one failed; another connection's id answers 404, and the
    password appears nowhere in the answer."""
    calendar = radicale.make_calendar("bookings")
    connection_id = await connect(db, shop, shop.sam, calendar, password="not-the-password")
    appointment_id = await book(db, shop)
    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)
    await send(db)
    app = create_app(db, clock=lambda: NOW)
    auth = {"Authorization": f"Bearer {shop.token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        answer = await client.get(
            f"/api/staff/{shop.sam}/calendars/{connection_id}/writes", headers=auth
        )
        other = await client.get(
            f"/api/staff/{shop.alex}/calendars/{connection_id}/writes", headers=auth
        )
    assert answer.status_code == 200, answer.text
    writes = answer.json()
    assert [w["event"] for w in writes] == ["appointment.cancelled", "appointment.booked"]
    assert {w["status"] for w in writes} == {"failed"}
    assert writes[0]["history"][0]["status_code"] == 401
    assert "refused the user name or password" in writes[0]["history"][0]["error"]
    assert "not-the-password" not in answer.text
    assert other.status_code == 404

"""Webhooks: deliveries written with the change, signed, retried until a receiver is back."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from datetime import date, time, timedelta

import httpx
import pytest
from aiohttp import web
from sqlalchemy import func, select

from booking.api.app import create_app
from booking.db import Database
from booking.models import Appointment, DeliveryStatus, WebhookDelivery
from booking.services import appointments, calls, webhook_sender
from tests.conftest import NOW


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A real HTTP server on loopback that records what it is sent; it can be down."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.delay = 0.0  # seconds before answering, to keep senders' attempts overlapping
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        await asyncio.sleep(self.delay)
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def client(db):
    """The app with OUTBOUND_ALLOW_PRIVATE on: these receivers listen on loopback."""
    app = create_app(db, clock=lambda: NOW, outbound_allow_private=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
async def receiver():
    found = Receiver()
    yield found
    await found.stop()


async def subscribe(client, auth, url, events):
    response = await client.post("/api/webhooks", json={"url": url, "events": events}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


async def book(client, auth, shop, at="10:00"):
    return await client.post(
        "/api/appointments",
        json={
            "business_id": shop.business_id,
            "customer_id": shop.ada,
            "staff_id": shop.sam,
            "appointment_date": "2026-12-01",
            "appointment_time": at,
        },
        headers=auth,
    )


async def test_booking_is_delivered_signed(client, db, shop, auth, receiver):
    """A booking writes a delivery in its transaction; it is sent with an HMAC-SHA256 signature
    of the body that verifies with the subscription's secret."""
    await receiver.start()
    hook = await subscribe(client, auth, receiver.url, ["appointment.booked"])
    assert hook["secret"].startswith("whsec_")
    booked = await book(client, auth, shop)
    assert booked.status_code == 201
    async with httpx.AsyncClient() as sender:
        assert (
            await webhook_sender.deliver_due(
                db, sender, clock=lambda: NOW + timedelta(days=1), allow_private=True
            )
            == 1
        )
    [(headers, body)] = receiver.received
    expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Booking-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "appointment.booked"
    assert payload["data"]["appointment_id"] == booked.json()["id"]
    assert payload["data"]["appointment_time"] == "10:00"
    deliveries = await client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=auth)
    [delivery] = deliveries.json()
    assert delivery["status"] == "delivered" and delivery["history"][0]["status_code"] == 204
    listed = await client.get("/api/webhooks", headers=auth)
    assert listed.json()[0]["secret"] is None


async def test_receiver_that_is_down_gets_the_event_once_back(client, db, shop, auth, receiver):
    """While the receiver is down the attempt is recorded and retried later; once it is back
    the event arrives, and the attempts are visible through the API."""
    hook = await subscribe(client, auth, receiver.url, ["message.taken"])
    await calls.take_message(
        db, shop.business_id, body="Please call back", caller_name="Ada", now=NOW
    )
    async with httpx.AsyncClient() as sender:
        first = NOW + timedelta(days=1)
        assert (
            await webhook_sender.deliver_due(db, sender, clock=lambda: first, allow_private=True)
            == 1
        )
        backing_off = await webhook_sender.deliver_due(
            db, sender, clock=lambda: first, allow_private=True
        )
        assert backing_off == 0
        await receiver.start()
        assert (
            await webhook_sender.deliver_due(
                db, sender, clock=lambda: first + timedelta(minutes=5), allow_private=True
            )
            == 1
        )
    [(_, body)] = receiver.received
    assert json.loads(body)["data"]["body"] == "Please call back"
    [delivery] = (await client.get(f"/api/webhooks/{hook['id']}/deliveries", headers=auth)).json()
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 2
    assert delivery["history"][0]["status_code"] is None and delivery["history"][0]["error"]


async def test_two_processes_running_the_outbox_at_once_send_each_delivery_once(
    client, db, shop, auth, receiver, database_url
):
    """Two outboxes (as in two processes, each with its own engine) working at the same moment
    on the same due deliveries send each one once: whichever leases it sends it."""
    await subscribe(client, auth, receiver.url, ["message.taken"])
    for number in range(6):
        await calls.take_message(
            db, shop.business_id, body=f"Message {number}", caller_name="Ada", now=NOW
        )
    await receiver.start()
    receiver.delay = 0.05
    other = Database.from_url(database_url)
    try:
        async with httpx.AsyncClient() as one, httpx.AsyncClient() as two:
            due = NOW + timedelta(minutes=1)
            attempted = await asyncio.gather(
                webhook_sender.deliver_due(db, one, clock=lambda: due, allow_private=True),
                webhook_sender.deliver_due(other, two, clock=lambda: due, allow_private=True),
            )
    finally:
        await other.dispose()
    sent = [headers["X-Booking-Delivery"] for headers, _ in receiver.received]
    assert sum(attempted) == 6
    assert len(sent) == len(set(sent)) == 6
    async with db.read() as session:
        statuses = list(await session.scalars(select(WebhookDelivery.status)))
    assert statuses == [DeliveryStatus.DELIVERED] * 6


async def test_a_delivery_left_by_a_sender_that_died_is_sent_once_its_lease_ends(
    client, db, shop, auth, receiver
):
    """A delivery leased by a process that stopped before recording its attempt is not sent
    by others while the lease holds, and is sent once it has run out."""
    await subscribe(client, auth, receiver.url, ["message.taken"])
    await calls.take_message(db, shop.business_id, body="Call me", caller_name="Ada", now=NOW)
    await receiver.start()
    due = NOW + timedelta(minutes=1)
    async with db.read() as session:
        delivery_id = await session.scalar(select(WebhookDelivery.id))
    assert delivery_id is not None
    lease = webhook_sender.SendLimits().lease_seconds
    assert await webhook_sender.take_lease(db, delivery_id, due, lease)  # the sender then dies
    async with httpx.AsyncClient() as sender:
        assert (
            await webhook_sender.deliver_due(db, sender, clock=lambda: due, allow_private=True) == 0
        )
        later = due + timedelta(seconds=lease - 1)
        assert (
            await webhook_sender.deliver_due(db, sender, clock=lambda: later, allow_private=True)
            == 0
        )
        expired = due + timedelta(seconds=lease)
        assert (
            await webhook_sender.deliver_due(db, sender, clock=lambda: expired, allow_private=True)
            == 1
        )
    assert len(receiver.received) == 1


async def test_refused_booking_writes_no_delivery(client, db, shop, auth, receiver):
    """A booking that is refused (slot taken) leaves no delivery behind: outbox and change
    commit together or not at all."""
    await subscribe(client, auth, receiver.url, ["appointment.booked"])
    assert (await book(client, auth, shop)).status_code == 201
    assert (await book(client, auth, shop)).status_code == 409
    async with db.read() as session:
        count = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert count == 1


async def test_moves_and_cancellations_are_events(client, db, shop, auth):
    """Moving and cancelling write their own events for subscribers to them."""
    await subscribe(
        client, auth, "http://127.0.0.1:59/none", ["appointment.moved", "appointment.cancelled"]
    )
    booked = (await book(client, auth, shop)).json()
    await client.patch(
        f"/api/appointments/{booked['id']}",
        json={"appointment_date": "2026-12-01", "appointment_time": "11:00"},
        headers=auth,
    )
    await client.post(f"/api/appointments/{booked['id']}/cancel", headers=auth)
    async with db.read() as session:
        events = list(
            await session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id))
        )
        statuses = set(await session.scalars(select(WebhookDelivery.status)))
    assert events == ["appointment.moved", "appointment.cancelled"]
    assert statuses == {DeliveryStatus.PENDING}


async def test_bad_subscriptions_name_the_field(client, shop, auth):
    """A URL that is not http(s) or an unknown event is 422 naming the field."""
    bad_url = await client.post(
        "/api/webhooks", json={"url": "ftp://x", "events": ["message.taken"]}, headers=auth
    )
    assert bad_url.status_code == 422 and bad_url.json()["errors"][0]["field"] == "url"
    bad_event = await client.post(
        "/api/webhooks", json={"url": "https://x.example", "events": ["nope"]}, headers=auth
    )
    assert bad_event.status_code == 422 and bad_event.json()["errors"][0]["field"] == "events"


async def test_change_failing_after_its_delivery_was_queued_leaves_no_delivery(
    client, db, shop, auth, monkeypatch
):
    """When the booking's transaction fails after its delivery row was written (and flushed)
    in it, the rollback takes the delivery with it: no appointment and no delivery remain."""
    await subscribe(client, auth, "http://127.0.0.1:59/none", ["appointment.booked"])
    real_announce = appointments.announce
    seen_in_transaction: list[int] = []

    async def announce_then_fail(session, event, appointment, now, customer=None):
        await real_announce(session, event, appointment, now, customer)
        await session.flush()
        seen_in_transaction.append(
            await session.scalar(select(func.count()).select_from(WebhookDelivery))
        )
        raise RuntimeError("the change fails after its delivery was queued")

    monkeypatch.setattr(appointments, "announce", announce_then_fail)
    request = appointments.BookingRequest(
        business_id=shop.business_id,
        customer_id=shop.ada,
        staff_id=shop.sam,
        local_date=date(2026, 12, 1),
        local_time=time(10),
    )
    with pytest.raises(RuntimeError, match="after its delivery was queued"):
        await appointments.book(db, request, now=NOW)
    assert seen_in_transaction == [1]  # the delivery was really in the failed transaction
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    monkeypatch.setattr(appointments, "announce", real_announce)
    assert (await book(client, auth, shop)).status_code == 201
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 1
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1

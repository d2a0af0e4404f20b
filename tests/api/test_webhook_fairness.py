"""Webhook sending under a slow receiver: other businesses are not held up, and each attempt's
recorded time, backoff and lease count from the moment of its own send."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web
from sqlalchemy import select

from booking.db import Database
from booking.models import WebhookAttempt, WebhookDelivery
from booking.services import calls, webhooks
from booking.services.webhook_sender import FIRST_RETRY_SECONDS, SendLimits, deliver_due
from tests.factories import Shop, make_shop

FAST = SendLimits(send_seconds=1.0)  # a black hole costs one second, not ten


class BlackHole:
    """A TCP server on loopback that accepts connections and never answers."""

    def __init__(self) -> None:
        self._held: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def _hold(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.append(writer)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        for writer in self._held:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@dataclass
class Seen:
    """One request as the receiver saw it: when, and the delivery's lease at that moment."""

    delivery_id: int
    at: datetime
    lease_until: datetime | None = None


@dataclass
class TimedReceiver:
    """An HTTP receiver on loopback that notes when each delivery reached it."""

    db: Database
    status: int = 204
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)

    async def _hook(self, request: web.Request) -> web.Response:
        seen = Seen(int(request.headers["X-Booking-Delivery"]), datetime.now(UTC))
        self.seen.append(seen)
        async with self.db.read() as session:
            seen.lease_until = await session.scalar(
                select(WebhookDelivery.next_attempt_at).where(
                    WebhookDelivery.id == seen.delivery_id
                )
            )
        await asyncio.sleep(self.delay)
        return web.Response(status=self.status)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            yield f"http://127.0.0.1:{port}/hook"
        finally:
            await runner.cleanup()


@pytest.fixture
async def black_hole() -> AsyncIterator[BlackHole]:
    hole = BlackHole()
    yield hole
    await hole.stop()


async def messages(db: Database, business_id: int, count: int) -> None:
    for number in range(count):
        await calls.take_message(
            db, business_id, body=f"Message {number}", caller_name="Ada", now=datetime.now(UTC)
        )


async def test_a_black_hole_receiver_does_not_delay_another_business(
    db: Database, shop: Shop, black_hole: BlackHole
) -> None:
    """Business B's receiver accepts connections and never answers; business A's delivery, due
    after B's, still arrives within one send timeout, and B's attempts are recorded as failed."""
    other = await make_shop(db, name="Other Salon", number="+12125550111")
    receiver = TimedReceiver(db)
    async with receiver.running() as url:
        await webhooks.create_subscription(
            db, other.business_id, await black_hole.start(), ["message.taken"], allow_private=True
        )
        await webhooks.create_subscription(
            db, shop.business_id, url, ["message.taken"], allow_private=True
        )
        await messages(db, other.business_id, 2)
        await messages(db, shop.business_id, 1)
        started = datetime.now(UTC)
        async with httpx.AsyncClient() as client:
            attempted = await deliver_due(db, client, limits=FAST, allow_private=True)
    assert attempted == 3
    [seen] = receiver.seen
    assert seen.at - started < timedelta(seconds=FAST.send_seconds)
    async with db.read() as session:
        errors = list(await session.scalars(select(WebhookAttempt.error)))
    assert sorted(e is None for e in errors) == [False, False, True]


async def test_each_attempt_is_stamped_backed_off_and_leased_from_its_own_send(
    db: Database, shop: Shop
) -> None:
    """Three deliveries to a slow receiver that answers 500, sent one after another (one at a
    time per business): each attempt's recorded time is when the receiver saw it, its retry is
    a full first backoff after it, and the lease it was sent under ran a full lease from it."""
    limits = SendLimits(send_seconds=1.0, per_business=1)
    receiver = TimedReceiver(db, status=500, delay=0.3)
    async with receiver.running() as url:
        await webhooks.create_subscription(
            db, shop.business_id, url, ["message.taken"], allow_private=True
        )
        await messages(db, shop.business_id, 3)
        async with httpx.AsyncClient() as client:
            assert await deliver_due(db, client, limits=limits, allow_private=True) == 3
    async with db.read() as session:
        attempts = await session.execute(
            select(WebhookAttempt.delivery_id, WebhookAttempt.attempted_at)
        )
        attempted = {delivery_id: at for delivery_id, at in attempts}
        deliveries = await session.execute(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
        )
        retries = {delivery_id: at for delivery_id, at in deliveries}
    tolerance = timedelta(seconds=0.15)
    backoff = timedelta(seconds=FIRST_RETRY_SECONDS)
    lease = timedelta(seconds=limits.lease_seconds)
    assert len(receiver.seen) == 3
    assert receiver.seen[-1].at - receiver.seen[0].at >= timedelta(seconds=0.6)  # one by one
    for seen in receiver.seen:
        assert abs(attempted[seen.delivery_id] - seen.at) < tolerance
        assert retries[seen.delivery_id] >= seen.at + backoff
        assert seen.lease_until is not None
        assert abs(seen.lease_until - (seen.at + lease)) < tolerance

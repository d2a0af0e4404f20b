"""The outbox's sender: due deliveries go out concurrently through their channel (webhook,
email, text, staff calendar), a few at a time per business and per receiving host, so one slow
receiver holds up only its own deliveries. A reminder is a delivery due later; it goes the same way.

Each send reads the clock when it starts: the lease is taken right then and lasts the send's
deadline plus a margin, the attempt is stamped with that time, and a retry backs off from when
the attempt ended. Of several processes running the outbox, whichever takes the lease sends.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import CursorResult

from booking.db import Database
from booking.logging import get_logger
from booking.models import (
    Channel,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from booking.models.base import utcnow
from booking.services import delivery
from booking.services.calendar_channel import CalendarChannel
from booking.services.delivery import Due, Outcome
from booking.services.webhook_channel import WebhookChannel, post

if TYPE_CHECKING:
    import httpx  # imported when delivering: the API does not need it to start

log = get_logger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 5.0
LONGEST_RETRY_SECONDS = 3600.0
# Beyond the send's own deadline: recording the attempt, a slow database, clocks a little apart.
LEASE_MARGIN_SECONDS = 20.0
BATCH = 50

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SendLimits:
    """How long one send may take, and how many may run at once: per business, per receiving
    host (scheme, host and port) and in all."""

    send_seconds: float = 10.0
    per_business: int = 2
    per_host: int = 4
    total: int = 32

    @property
    def lease_seconds(self) -> float:
        """A send is its sender's for this long from when it starts: longer than it can take."""
        return self.send_seconds + LEASE_MARGIN_SECONDS


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... doubling, at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_RETRY_SECONDS))


_deliveries = cast(Table, WebhookDelivery.__table__)
_LEASE = (
    update(_deliveries)
    .where(
        _deliveries.c.id == bindparam("delivery_id"),
        _deliveries.c.status == DeliveryStatus.PENDING,
        _deliveries.c.next_attempt_at <= bindparam("now"),
    )
    .values(next_attempt_at=bindparam("until"))
)


@dataclass(frozen=True)
class Skip:
    """What a round leaves out of its query: already on its way here, or at its limit."""

    deliveries: frozenset[int] = frozenset()
    businesses: frozenset[int] = frozenset()
    subscriptions: frozenset[int] = frozenset()


async def _due(db: Database, now: datetime, skip: Skip, channels: frozenset[str]) -> list[Due]:
    """The due deliveries of the channels this process sends (email waits for a process that
    has SMTP settings)."""
    query = (
        select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret)
        .outerjoin(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookDelivery.channel.in_(sorted(channels)),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    )
    if skip.deliveries:
        query = query.where(WebhookDelivery.id.not_in(skip.deliveries))
    if skip.businesses:
        query = query.where(WebhookDelivery.business_id.not_in(skip.businesses))
    if skip.subscriptions:
        query = query.where(WebhookDelivery.subscription_id.not_in(skip.subscriptions))
    async with db.read() as session:
        return [
            Due(
                row.id,
                row.business_id,
                row.channel,
                row.event,
                json.dumps({"id": row.id, **row.payload}, separators=(",", ":")).encode(),
                row.subscription_id,
                url or "",
                secret or "",
            )
            for row, url, secret in await session.execute(query)
        ]


async def take_lease(db: Database, delivery_id: int, now: datetime, seconds: float) -> bool:
    """Take a due delivery to send it now: not due again for `seconds` unless its attempt is
    recorded first. Of processes trying at the same moment, one takes it; a process that dies
    mid-send leaves the lease to run out, and the delivery is sent again then."""
    async with db.write() as session:
        taken = await session.execute(
            _LEASE,
            {"delivery_id": delivery_id, "now": now, "until": now + timedelta(seconds=seconds)},
        )
        return cast(CursorResult[Any], taken).rowcount == 1


async def _record(
    db: Database, delivery_id: int, attempted_at: datetime, ended_at: datetime, outcome: Outcome
) -> None:
    """Keep the attempt; mark the delivery delivered, failed, or due again a backoff after the
    attempt ended."""
    async with db.write() as session:
        delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return
        if outcome.not_before is not None:
            delivery.next_attempt_at = outcome.not_before
            return
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempted_at=attempted_at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.attempts += 1
        if outcome.error is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = ended_at
            if outcome.ref is not None:
                delivery.provider_ref, delivery.provider_status = outcome.ref, "accepted"
        elif outcome.final or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = ended_at + retry_delay(delivery.attempts)


@dataclass
class _InFlight:
    """Sends under way in this process, counted by business and by host."""

    deliveries: dict[int, tuple[Due, str]] = field(default_factory=dict)
    businesses: Counter[int] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)

    def admits(self, due: Due, host: str, limits: SendLimits) -> bool:
        return (
            len(self.deliveries) < limits.total
            and self.businesses[due.business_id] < limits.per_business
            and self.hosts[host] < limits.per_host
        )

    def add(self, due: Due, host: str) -> None:
        self.deliveries[due.id] = (due, host)
        self.businesses[due.business_id] += 1
        self.hosts[host] += 1

    def remove(self, due: Due) -> None:
        _, host = self.deliveries.pop(due.id)
        self.businesses[due.business_id] -= 1
        self.hosts[host] -= 1

    def skip(self, limits: SendLimits) -> Skip:
        """Leave out of the next query what could not start anyway, so that it does not fill
        the batch ahead of others' deliveries."""
        full_hosts = {host for host, n in self.hosts.items() if n >= limits.per_host}
        return Skip(
            frozenset(self.deliveries),
            frozenset(b for b, n in self.businesses.items() if n >= limits.per_business),
            frozenset(
                d.subscription_id
                for d, host in self.deliveries.values()
                if host in full_hosts and d.subscription_id is not None
            ),
        )


class Outbox:
    """Starts due deliveries as sends within the limits; a round does not wait for slow ones,
    so the next round can start others' deliveries meanwhile."""

    def __init__(
        self,
        db: Database,
        client: httpx.AsyncClient,
        *,
        clock: Clock = utcnow,
        limits: SendLimits | None = None,
        email: delivery.Channel | None = None,
        sms: delivery.Channel | None = None,
        allow_private: bool = False,
    ) -> None:
        self._db, self._clock = db, clock
        self._channels: dict[str, delivery.Channel] = {
            Channel.WEBHOOK: WebhookChannel(client, allow_private=allow_private),
            Channel.CALENDAR: CalendarChannel(db, client, allow_private=allow_private),
        }
        if email is not None:
            self._channels[Channel.EMAIL] = email
        if sms is not None:
            self._channels[Channel.SMS] = sms
        self._limits = limits or SendLimits()
        self._in_flight = _InFlight()
        self._tasks: set[asyncio.Task[bool]] = set()

    async def start_due(self) -> list[asyncio.Task[bool]]:
        """Start a send for each due delivery the limits admit; each task says whether it
        attempted (False when another process had taken the delivery)."""
        if len(self._in_flight.deliveries) >= self._limits.total:
            return []
        started = []
        skip = self._in_flight.skip(self._limits)
        for due in await _due(self._db, self._clock(), skip, frozenset(self._channels)):
            host = self._channels[due.channel].host(due)
            if self._in_flight.admits(due, host, self._limits):
                started.append(self._start(due, host))
        return started

    async def deliver_due(self) -> int:
        """Send until nothing more is due, starting the next delivery as each send ends;
        returns how many deliveries were attempted."""
        attempted = 0
        pending = set(await self.start_due())
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            attempted += sum(task.result() for task in done)
            pending |= set(await self.start_due())
        return attempted

    async def aclose(self) -> None:
        """Stop sends under way: their leases run out and the deliveries are sent again."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, due: Due, host: str) -> asyncio.Task[bool]:
        self._in_flight.add(due, host)
        task = asyncio.create_task(self._send(due), name=f"{due.channel}-{due.id}")
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(due, done))
        return task

    def _finished(self, due: Due, task: asyncio.Task[bool]) -> None:
        self._in_flight.remove(due)
        self._tasks.discard(task)

    async def _send(self, due: Due) -> bool:
        """Lease, send and record one delivery, each at the time it happens."""
        attempted_at = self._clock()
        try:
            if not await take_lease(self._db, due.id, attempted_at, self._limits.lease_seconds):
                return False  # another process is sending it, or has just sent it
        except Exception:
            log.warning("delivery not leased; will retry", delivery=due.id, channel=due.channel)
            return False
        channel = self._channels[due.channel]
        outcome = await channel.send(due, self._limits.send_seconds, attempted_at)
        try:
            await _record(self._db, due.id, attempted_at, self._clock(), outcome)
        except Exception:
            log.warning(
                "delivery attempt not recorded; sent again once leased",
                delivery=due.id,
                channel=due.channel,
            )
        return True


async def deliver_due(
    db: Database,
    client: httpx.AsyncClient,
    *,
    clock: Clock = utcnow,
    limits: SendLimits | None = None,
    email: delivery.Channel | None = None,
    sms: delivery.Channel | None = None,
    allow_private: bool = False,
) -> int:
    """Send every delivery that is due and not being sent by another process, within the limits,
    and wait for the sends; returns how many were attempted. `allow_private`:
    OUTBOUND_ALLOW_PRIVATE (webhooks and calendars may reach private addresses)."""
    outbox = Outbox(
        db, client, clock=clock, limits=limits, email=email, sms=sms, allow_private=allow_private
    )
    return await outbox.deliver_due()


__all__ = ["Due", "Outbox", "Outcome", "SendLimits", "deliver_due", "post", "take_lease"]

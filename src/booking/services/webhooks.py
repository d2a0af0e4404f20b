"""Webhooks: a business subscribes a URL to events; each change writes deliveries to an outbox
in its own transaction (`enqueue`), and `deliver_due` sends them, signed, with retries.

Signature: header `X-Booking-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact request
body with the subscription's secret. Retries back off exponentially; after MAX_ATTEMPTS a
delivery is marked failed. Every attempt is kept and readable through the API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from booking.services.businesses import load_business

if TYPE_CHECKING:
    import httpx  # imported when delivering: the API does not need it to start

EVENTS = ("appointment.booked", "appointment.moved", "appointment.cancelled", "message.taken")
MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 5.0
LONGEST_RETRY_SECONDS = 3600.0
SEND_TIMEOUT_SECONDS = 10.0
# A delivery being sent is its sender's for this long: longer than one send can take.
LEASE_SECONDS = SEND_TIMEOUT_SECONDS + 50
BATCH = 50
SIGNATURE_HEADER = "X-Booking-Signature"


@dataclass(frozen=True)
class SubscriptionInfo:
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    secret: str | None = None  # only when just created


@dataclass(frozen=True)
class AttemptInfo:
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    history: list[AttemptInfo]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... doubling, at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_RETRY_SECONDS))


def _check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise InvalidInput("url", "must be an http or https URL")
    return url


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        raise InvalidInput("events", f"choose from {', '.join(EVENTS)}")
    return sorted(set(events))


async def create_subscription(
    db: Database, business_id: int, url: str, events: list[str]
) -> SubscriptionInfo:
    url, events = _check_url(url), _check_events(events)
    async with db.write() as session:
        await load_business(session, business_id)
        row = WebhookSubscription(
            business_id=business_id,
            url=url,
            events=events,
            secret="whsec_" + secrets.token_urlsafe(24),
            active=True,
        )
        session.add(row)
        await session.flush()
        return SubscriptionInfo(row.id, url, events, True, row.created_at, row.secret)


async def list_subscriptions(db: Database, business_id: int) -> list[SubscriptionInfo]:
    async with db.read() as session:
        rows = await session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.business_id == business_id)
            .order_by(WebhookSubscription.id)
        )
        return [SubscriptionInfo(r.id, r.url, r.events, r.active, r.created_at) for r in rows]


async def _load(
    session: AsyncSession, business_id: int, subscription_id: int
) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None or row.business_id != business_id:
        raise NotFound("webhook", subscription_id)
    return row


async def delete_subscription(db: Database, business_id: int, subscription_id: int) -> None:
    async with db.write() as session:
        await session.delete(await _load(session, business_id, subscription_id))


async def list_deliveries(
    db: Database, business_id: int, subscription_id: int, limit: int = 100
) -> list[DeliveryInfo]:
    async with db.read() as session:
        await _load(session, business_id, subscription_id)
        rows = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.subscription_id == subscription_id)
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            )
        )
        attempts: dict[int, list[AttemptInfo]] = {row.id: [] for row in rows}
        if rows:
            for attempt in await session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_(attempts))
                .order_by(WebhookAttempt.id)
            ):
                attempts[attempt.delivery_id].append(
                    AttemptInfo(
                        attempt.attempted_at,
                        attempt.status_code,
                        attempt.error,
                        attempt.duration_ms,
                    )
                )
        return [
            DeliveryInfo(
                r.id,
                r.event,
                r.status,
                r.attempts,
                r.next_attempt_at,
                r.created_at,
                r.delivered_at,
                attempts[r.id],
            )
            for r in rows
        ]


# Built once: every booking, move and cancellation runs it.
_subscriptions = WebhookSubscription.__table__
_LISTENERS = select(_subscriptions.c.id, _subscriptions.c.events).where(
    _subscriptions.c.business_id == bindparam("business_id"), _subscriptions.c.active.is_(True)
)


async def enqueue(
    session: AsyncSession,
    business_id: int,
    event: str,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
) -> None:
    """Write a delivery for each subscription to `event`, inside the caller's transaction.

    `now` is the change's own clock, so a delivery is due when the change happened."""
    subscriptions = await session.execute(_LISTENERS, {"business_id": business_id})
    occurred = now or datetime.now(UTC)
    for subscription_id, events in subscriptions:
        if event not in events:
            continue
        session.add(
            WebhookDelivery(
                subscription_id=subscription_id,
                business_id=business_id,
                event=event,
                payload={"event": event, "occurred_at": occurred.isoformat(), "data": data},
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=occurred,
            )
        )


async def _due(db: Database, now: datetime) -> list[tuple[int, str, str, bytes, str]]:
    async with db.read() as session:
        rows = await session.execute(
            select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(BATCH)
        )
        return [
            (
                delivery.id,
                url,
                secret,
                json.dumps({"id": delivery.id, **delivery.payload}, separators=(",", ":")).encode(),
                delivery.event,
            )
            for delivery, url, secret in rows
        ]


async def _lease(db: Database, delivery_id: int, now: datetime) -> bool:
    """Take a due delivery to send it: not due again for LEASE_SECONDS unless its attempt is
    recorded first. Of processes running the outbox at the same moment, one takes it; a process
    that dies mid-send leaves the lease to expire, and the delivery is sent again then."""
    async with db.write() as session:
        taken = await session.execute(
            _LEASE,
            {
                "delivery_id": delivery_id,
                "now": now,
                "until": now + timedelta(seconds=LEASE_SECONDS),
            },
        )
        return cast(CursorResult[Any], taken).rowcount == 1


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


async def _record(
    db: Database,
    delivery_id: int,
    now: datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: float,
) -> None:
    async with db.write() as session:
        delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempted_at=now,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        delivery.attempts += 1
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)


async def deliver_due(
    db: Database, client: httpx.AsyncClient, *, now: datetime | None = None
) -> int:
    """Send every delivery that is due and not being sent by another process; returns how many
    this call attempted."""
    import httpx

    now = now or datetime.now(UTC)
    attempted = 0
    for delivery_id, url, secret, body, event in await _due(db, now):
        if not await _lease(db, delivery_id, now):
            continue  # another process is sending it, or has just sent it
        attempted += 1
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            response = await client.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Booking-Event": event,
                    "X-Booking-Delivery": str(delivery_id),
                    SIGNATURE_HEADER: sign(secret, body),
                },
                timeout=SEND_TIMEOUT_SECONDS,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"receiver answered {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = (time.perf_counter() - started) * 1000
        await _record(db, delivery_id, now, status_code, error, duration_ms)
    return attempted

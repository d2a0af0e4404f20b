"""Webhooks: a business subscribes a URL to events; each change writes deliveries to an outbox
in its own transaction (`enqueue`), and `webhook_sender` sends them, signed, with retries.

Signature: header `X-Booking-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact request
body with the subscription's secret. Every attempt is kept and readable through the API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
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
from booking.services.outbound_url import check_url_syntax, check_url_to_save

EVENTS = (
    "appointment.booked",
    "appointment.moved",
    "appointment.cancelled",
    "appointment.reminder",  # due a set time before the appointment (the business's setting)
    "message.taken",
)
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


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        raise InvalidInput("events", f"choose from {', '.join(EVENTS)}")
    return sorted(set(events))


async def create_subscription(
    db: Database, business_id: int, url: str, events: list[str], *, allow_private: bool = False
) -> SubscriptionInfo:
    """Subscribe `url` to `events`; a URL that reaches a private address is refused unless
    `allow_private` (OUTBOUND_ALLOW_PRIVATE), and every delivery checks it again."""
    check_url_syntax(url)
    events = _check_events(events)
    await check_url_to_save(url, allow_private=allow_private)
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
        return await with_attempts(session, rows)


async def with_attempts(session: AsyncSession, rows: list[WebhookDelivery]) -> list[DeliveryInfo]:
    """The deliveries as shown through the API, each with its attempts in order."""
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
    appointment_id: int | None = None,
) -> None:
    """Write a delivery for each subscription to `event`, inside the caller's transaction.

    `now` is the change's own clock, so a delivery is due when the change happened (for a
    reminder: when it is due)."""
    subscriptions = await session.execute(_LISTENERS, {"business_id": business_id})
    occurred = now or datetime.now(UTC)
    for subscription_id, events in subscriptions:
        if event not in events:
            continue
        session.add(
            WebhookDelivery(
                subscription_id=subscription_id,
                business_id=business_id,
                appointment_id=appointment_id,
                event=event,
                payload={"event": event, "occurred_at": occurred.isoformat(), "data": data},
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=occurred,
            )
        )

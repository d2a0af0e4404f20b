"""Texts written into the outbox: to a customer about an appointment (held through the
business's quiet hours), or a reply to a text they sent (answered at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.models import (
    Business,
    BusinessNumber,
    Channel,
    DeliveryStatus,
    WebhookDelivery,
)
from booking.services.customer_deliveries import deliveries_to
from booking.services.customers import CustomerInfo, load_customer
from booking.services.sms_messages import REMINDER, REPLY, compose

_businesses, _numbers = Business.__table__, BusinessNumber.__table__
_SENDER = select(
    _businesses.c.name,
    _businesses.c.timezone,
    _businesses.c.sms_number,
    _businesses.c.quiet_from_minute,
    _businesses.c.quiet_until_minute,
).where(_businesses.c.id == bindparam("business_id"))
_FIRST_NUMBER = (
    select(_numbers.c.number)
    .where(_numbers.c.business_id == bindparam("business_id"))
    .order_by(_numbers.c.id)
    .limit(1)
)


@dataclass(frozen=True)
class Sender:
    """A business as its texts need it: the number they go from, its name, zone, quiet hours."""

    business_id: int
    number: str
    name: str
    timezone: str
    quiet: tuple[int, int]


async def sms_sender(session: AsyncSession, business_id: int) -> Sender | None:
    """The business's sending number (its own, else its first); None when it has neither."""
    params = {"business_id": business_id}
    row = (await session.execute(_SENDER, params)).one()
    number = row.sms_number or await session.scalar(_FIRST_NUMBER, params)
    if not number:
        return None
    return Sender(
        business_id,
        number,
        row.name,
        row.timezone,
        (row.quiet_from_minute, row.quiet_until_minute),
    )


def add_text(
    session: AsyncSession,
    sender: Sender,
    customer: CustomerInfo,
    event: str,
    data: dict[str, Any],
    due: datetime,
) -> None:
    """Queue the text about an appointment's change (or its reminder), due at `due`."""
    _add(
        session,
        sender,
        customer.id,
        customer.phone,
        event,
        compose(event, sender.name, data),
        due,
        appointment_id=data["appointment_id"],
        starts_at=data["starts_at"],
        quiet=True,
    )


def add_reply(
    session: AsyncSession,
    sender: Sender,
    customer_id: int | None,
    to: str,
    text: str,
    now: datetime,
) -> None:
    """Queue the answer to a text the customer sent: due at once, whatever the hour."""
    _add(session, sender, customer_id, to, REPLY, text, now)


def _add(
    session: AsyncSession,
    sender: Sender,
    customer_id: int | None,
    to: str,
    event: str,
    text: str,
    due: datetime,
    *,
    appointment_id: int | None = None,
    starts_at: str | None = None,
    quiet: bool = False,
) -> None:
    session.add(
        WebhookDelivery(
            channel=Channel.SMS,
            subscription_id=None,
            business_id=sender.business_id,
            appointment_id=appointment_id,
            customer_id=customer_id,
            event=event,
            payload={
                "event": event,
                "to": to,
                "from": sender.number,
                "text": text,
                "timezone": sender.timezone,
                "quiet": list(sender.quiet) if quiet else None,
                **({"starts_at": starts_at} if starts_at else {}),
            },
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=due,
        )
    )


@dataclass(frozen=True)
class TextInfo:
    """A text to a customer as the admin API shows it: what, when, and how it went."""

    id: int
    event: str
    to: str
    text: str
    status: str  # the outbox's: pending, delivered (to the provider), failed
    provider_status: str | None  # the provider's last report: accepted, delivered, failed ...
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


async def texts_to(db: Database, business_id: int, customer_id: int) -> list[TextInfo]:
    """The texts queued for and sent to one customer, newest first."""
    found = await deliveries_to(db, business_id, customer_id, Channel.SMS)
    return [
        TextInfo(
            sent.row.id,
            sent.row.event,
            sent.row.payload.get("to", ""),
            sent.row.payload.get("text", ""),
            DeliveryStatus(sent.row.status).value,
            sent.row.provider_status,
            sent.row.attempts,
            sent.last_error,
            sent.row.created_at,
            sent.row.next_attempt_at,
            sent.row.delivered_at,
        )
        for sent in found
    ]


async def consent_given(db: Database, business_id: int, customer_id: int, now: datetime) -> None:
    """A customer said yes to texts (on a call, after booking): consent is stored, and each of
    their upcoming appointments gets its confirmation text and its reminder now, in the same
    transaction, as a booking made after the yes would have."""
    from booking.services.appointments import list_upcoming  # it imports this module's users

    upcoming = await list_upcoming(db, business_id, customer_id, now=now)
    async with db.write() as session:
        customer = await load_customer(session, business_id, customer_id)
        if customer.sms_consent:
            return
        customer.sms_consent = True
        sender = await sms_sender(session, business_id)
        minutes = await session.scalar(
            select(_businesses.c.reminder_minutes).where(_businesses.c.id == business_id)
        )
        if sender is None:
            return
        info = CustomerInfo.of(customer)
        for appointment in upcoming:
            data = {
                "appointment_id": appointment.id,
                "starts_at": appointment.starts_at.isoformat(),
                "timezone": str(appointment.local_start.tzinfo),
                "service_name": appointment.service_name,
                "staff_name": appointment.staff_name,
            }
            add_text(session, sender, info, "appointment.booked", data, now)
            due = appointment.starts_at - timedelta(minutes=minutes or 0)
            if minutes and due > now:
                add_text(session, sender, info, REMINDER, data, due)

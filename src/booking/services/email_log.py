"""The emails queued for and sent to a customer (confirmations, reminders), as the admin API
lists them: address, subject and how delivery went; never the body, which greets them by
name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.db import Database
from booking.models import Channel, DeliveryStatus
from booking.services.customer_deliveries import deliveries_to
from booking.services.email_messages import subject


@dataclass(frozen=True)
class EmailInfo:
    id: int
    event: str
    appointment_id: int | None
    to: str
    subject: str
    status: str  # the outbox's: pending, delivered (the mail server took it), failed
    attempts: int
    last_error: str | None
    last_status_code: int | None  # the mail server's reply code to the last attempt, if any
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


async def emails_to(db: Database, business_id: int, customer_id: int) -> list[EmailInfo]:
    """The emails queued for and sent to one customer, newest first."""
    found = await deliveries_to(db, business_id, customer_id, Channel.EMAIL)
    return [
        EmailInfo(
            sent.row.id,
            sent.row.event,
            sent.row.appointment_id,
            sent.row.payload.get("to", ""),
            subject(sent.row.payload),
            DeliveryStatus(sent.row.status).value,
            sent.row.attempts,
            sent.last_error,
            sent.last_status_code,
            sent.row.created_at,
            sent.row.next_attempt_at,
            sent.row.delivered_at,
        )
        for sent in found
    ]

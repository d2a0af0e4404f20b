"""What the outbox holds for one customer on one channel (texts, emails), newest first, each
with its last attempt's error: how the admin API shows what a customer was sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from booking.db import Database
from booking.models import Channel, WebhookAttempt, WebhookDelivery
from booking.services.customers import load_customer

LIMIT = 200  # the newest; older ones are history nobody pages through


@dataclass(frozen=True)
class Sent:
    """One delivery to the customer and the error of its last attempt (None: none failed)."""

    row: WebhookDelivery
    last_error: str | None
    last_status_code: int | None


async def deliveries_to(
    db: Database, business_id: int, customer_id: int, channel: Channel
) -> list[Sent]:
    """The customer's deliveries on `channel`, newest first; 404 for another business's."""
    async with db.read() as session:
        await load_customer(session, business_id, customer_id)
        rows = list(
            await session.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.business_id == business_id,
                    WebhookDelivery.customer_id == customer_id,
                    WebhookDelivery.channel == channel,
                )
                .order_by(WebhookDelivery.id.desc())
                .limit(LIMIT)
            )
        )
        attempts = await session.execute(
            select(WebhookAttempt.delivery_id, WebhookAttempt.error, WebhookAttempt.status_code)
            .where(WebhookAttempt.delivery_id.in_([r.id for r in rows]))
            .order_by(WebhookAttempt.id)
        )
        last = {delivery_id: (error, code) for delivery_id, error, code in attempts}
    return [Sent(row, *last.get(row.id, (None, None))) for row in rows]

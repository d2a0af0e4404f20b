"""Deleting a customer on request: everything that names them goes, in one transaction.

Their record, their number and the transcripts and tool arguments of their calls (found by
customer, by number, and through the appointments and messages they made), their
messages and stored idempotency answers are removed; future appointments are cancelled and past
ones kept without a name (the staff member's history stays true). Webhook deliveries that name
them are kept (ids, event, status, attempts) with the name, number and message text blanked;
their appointments' reminders not yet sent and every email to them (queued or sent, with its
attempts) are removed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from booking.db import Database
from booking.models import (
    Appointment,
    AppointmentStatus,
    Call,
    DeliveryStatus,
    IdempotencyRecord,
    Message,
    ToolCall,
    WebhookDelivery,
)
from booking.services import calendar_writes
from booking.services.customers import load_customer
from booking.services.email_messages import REMINDER


async def erase_customer(
    db: Database, business_id: int, customer_id: int, *, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    async with db.write() as session:
        customer = await load_customer(session, business_id, customer_id)
        phone = customer.phone
        # Their calls, found before the links are cut: by customer and caller number, and also
        # through the appointments and messages they made (a caller who withheld their number
        # and gave it by voice is linked to the call only that way).
        their_calls = select(Call.id).where(
            Call.business_id == business_id,
            or_(
                Call.customer_id == customer_id,
                Call.caller_number == phone,
                Call.id.in_(
                    select(Appointment.call_id).where(Appointment.customer_id == customer_id)
                ),
                Call.id.in_(
                    select(Message.call_id).where(
                        Message.business_id == business_id,
                        or_(Message.customer_id == customer_id, Message.callback_number == phone),
                    )
                ),
            ),
        )
        call_ids = list(await session.scalars(their_calls))
        await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.business_id == business_id,
                or_(
                    WebhookDelivery.customer_id == customer_id,
                    and_(
                        WebhookDelivery.event == REMINDER,
                        WebhookDelivery.status == DeliveryStatus.PENDING,
                        WebhookDelivery.appointment_id.in_(
                            select(Appointment.id).where(Appointment.customer_id == customer_id)
                        ),
                    ),
                ),
            )
        )
        cancelled = list(
            await session.scalars(
                update(Appointment)
                .where(
                    Appointment.customer_id == customer_id,
                    Appointment.status == AppointmentStatus.BOOKED,
                    Appointment.starts_at >= now,
                )
                .values(status=AppointmentStatus.CANCELLED, notes="")
                .returning(Appointment.id)
            )
        )
        # Out of the staff members' own calendars, where their name is the event's title; the
        # past ones kept there are rewritten without it (where they are: none is created).
        await calendar_writes.enqueue_for_appointments(
            session, business_id, cancelled, "appointment.cancelled", now
        )
        kept = await session.scalars(
            select(Appointment.id).where(
                Appointment.customer_id == customer_id,
                Appointment.status != AppointmentStatus.CANCELLED,
            )
        )
        await calendar_writes.enqueue_for_appointments(
            session, business_id, kept, "customer.erased", now, only_if_present=True
        )
        await session.execute(
            update(Appointment)
            .where(Appointment.customer_id == customer_id)
            .values(customer_id=None, notes="")
        )
        if call_ids:
            await session.execute(
                update(ToolCall)
                .where(ToolCall.call_id.in_(call_ids))
                .values(arguments=None, result=None, error=None)
            )
            await session.execute(
                update(Call)
                .where(Call.id.in_(call_ids))
                .values(caller_number=None, customer_id=None, transcript=[])
            )
        await session.execute(
            delete(Message).where(
                Message.business_id == business_id,
                or_(Message.customer_id == customer_id, Message.callback_number == phone),
            )
        )
        await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.customer_id == customer_id)
        )
        deliveries = await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.business_id == business_id)
        )
        for delivery in deliveries:
            scrubbed = _without_customer(delivery.payload, customer_id, phone)
            if scrubbed is not None:
                delivery.payload = scrubbed  # a new dict, so the JSON column is written
        await session.delete(customer)
    await db.forget_deleted()


def _without_customer(
    payload: dict[str, Any], customer_id: int, phone: str
) -> dict[str, Any] | None:
    """The payload with the customer's personal fields blanked, or None if it does not name them.

    Appointment events carry `data.customer` {id, name, phone}; "message.taken" carries the
    caller's name, callback number and the message itself."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    customer = data.get("customer")
    if isinstance(customer, dict) and customer.get("id") == customer_id:
        return {**payload, "data": {**data, "customer": {**customer, "name": None, "phone": None}}}
    if payload.get("event") == "message.taken" and (
        data.get("customer_id") == customer_id or data.get("callback_number") == phone
    ):
        blanked = {**data, "caller_name": "", "callback_number": None, "body": ""}
        return {**payload, "data": blanked}
    return None

"""What a customer and the subscribers hear of a change to an appointment, written in the
change's own transaction for the outbox to send: a confirmation email and text at once
(customers with an email address and consent; with consent to texts), and reminders (email,
text and `appointment.reminder` webhooks) due the business's `reminder_minutes` before it. A
move writes its reminders afresh; a cancellation removes them; a booking made inside that
window gets none."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.models import Business, Channel, DeliveryStatus, WebhookDelivery
from booking.services import webhooks
from booking.services.customers import CustomerInfo
from booking.services.email_messages import REMINDER
from booking.services.sms_texts import add_text, sms_sender

CONFIRMED = ("appointment.booked", "appointment.moved", "appointment.cancelled")
_SCHEDULED = ("appointment.booked", "appointment.moved")

_businesses = Business.__table__
_BUSINESS = select(_businesses.c.name, _businesses.c.reminder_minutes).where(
    _businesses.c.id == bindparam("business_id")
)


def wants_email(customer: CustomerInfo | None) -> bool:
    return customer is not None and bool(customer.email) and customer.email_consent


async def on_change(
    session: AsyncSession,
    business_id: int,
    event: str,
    data: dict[str, Any],
    customer: CustomerInfo | None,
    now: datetime,
) -> None:
    """Queue the confirmation and (re)schedule the reminders for one appointment change;
    `data` is the appointment as its webhooks carry it."""
    appointment_id = data["appointment_id"]
    row = (await session.execute(_BUSINESS, {"business_id": business_id})).one()
    if event != "appointment.booked":
        await drop_reminders(session, appointment_id)
    mail = customer if wants_email(customer) else None
    texted = customer if customer is not None and customer.sms_consent else None
    sender = await sms_sender(session, business_id) if texted is not None else None
    if event in CONFIRMED and texted is not None and sender is not None:
        add_text(session, sender, texted, event, data, now)
    if event in CONFIRMED and mail is not None:
        sequence = await session.scalar(
            select(func.count()).where(
                WebhookDelivery.appointment_id == appointment_id,
                WebhookDelivery.channel == Channel.EMAIL,
                WebhookDelivery.event.in_(CONFIRMED),
            )
        )
        _add_email(session, business_id, event, data, mail, row.name, now, now, sequence or 0)
    if event not in _SCHEDULED or not row.reminder_minutes:
        return
    due = datetime.fromisoformat(data["starts_at"]) - timedelta(minutes=row.reminder_minutes)
    if due <= now:
        return  # booked inside the window: the booking itself is the reminder
    await webhooks.enqueue(
        session, business_id, REMINDER, data, now=due, appointment_id=appointment_id
    )
    if mail is not None:
        _add_email(session, business_id, REMINDER, data, mail, row.name, now, due)
    if texted is not None and sender is not None:
        add_text(session, sender, texted, REMINDER, data, due)


def _add_email(
    session: AsyncSession,
    business_id: int,
    event: str,
    data: dict[str, Any],
    customer: CustomerInfo,
    business_name: str,
    now: datetime,
    due: datetime,
    sequence: int = 0,
) -> None:
    session.add(
        WebhookDelivery(
            channel=Channel.EMAIL,
            subscription_id=None,
            business_id=business_id,
            appointment_id=data["appointment_id"],
            customer_id=customer.id,
            event=event,
            payload={
                "event": event,
                "occurred_at": now.isoformat(),
                "to": customer.email,
                "customer_name": customer.name,
                "business_name": business_name,
                "sequence": sequence,
                "data": data,
            },
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=due,
        )
    )


async def drop_reminders(session: AsyncSession, appointment_id: int) -> None:
    """Remove the appointment's reminders not yet sent, by every channel."""
    await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.appointment_id == appointment_id,
            WebhookDelivery.event == REMINDER,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
    )

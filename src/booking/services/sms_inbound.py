"""What a customer's text does, matched by their number to a customer of the business whose
number they texted: STOP (and the carriers' other words) opts out, START back in, HELP says
who this is; C cancels their next appointment (cut-off respected), Y confirms it; anything
else is a message for the staff. Each gets a reply saying what happened; a number that is no
customer's is asked to call. And the providers' delivery reports, kept on the text's row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from booking.db import Database
from booking.errors import BookingError, TooLateToCancel
from booking.logging import get_logger, mask_phone
from booking.models import (
    Appointment,
    Business,
    BusinessNumber,
    Channel,
    Customer,
    DeliveryStatus,
    WebhookDelivery,
)
from booking.services import appointments, calls
from booking.services.customers import drop_queued_texts
from booking.services.sms_messages import gsm7, spoken
from booking.services.sms_texts import Sender, add_reply, sms_sender

log = get_logger(__name__)

STOP = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCELALL", "CANCEL-ALL", "CANCEL", "END",
                  "QUIT", "OPTOUT", "REVOKE"})  # fmt: skip
START = frozenset({"START", "UNSTOP", "OPTIN"})
HELP = frozenset({"HELP", "INFO"})
FAILED = frozenset({"failed", "undelivered", "delivery_failed", "sending_failed"})


async def _business_texted(db: Database, to: str) -> int | None:
    async with db.read() as session:
        found = await session.scalar(
            select(Business.id).where(Business.sms_number == to).order_by(Business.id).limit(1)
        )
        if found is None:
            found = await session.scalar(
                select(BusinessNumber.business_id).where(BusinessNumber.number == to)
            )
        return found


async def handle_text(db: Database, to: str, sender_number: str, body: str, now: datetime) -> str:
    """Act on one incoming text and queue the reply; returns the reply ('' when the number
    texted is no business's, so there is no one to reply as)."""
    business_id = await _business_texted(db, to)
    if business_id is None:
        log.info("text to an unknown number ignored", to=mask_phone(to))
        return ""
    async with db.read() as session:
        sender = await sms_sender(session, business_id)
        customers = list(
            await session.scalars(
                select(Customer).where(
                    Customer.business_id == business_id, Customer.phone == sender_number
                )
            )
        )
    assert sender is not None  # it was texted on one of its numbers
    word = body.strip().strip(".!").upper()
    if len(customers) != 1:
        reply = f"{sender.name}: we could not match your number. Please call us on {sender.number}."
        customer_id = None
    else:
        customer_id = customers[0].id
        reply = await _act(db, sender, customers[0], word, body, now)
    log.info("text answered", from_=mask_phone(sender_number), keyword=word[:10] if word in
             STOP | START | HELP | {"C", "Y"} else "message")  # fmt: skip
    async with db.write() as session:
        if word in STOP and customer_id is not None:
            await drop_queued_texts(session, customer_id)
        add_reply(session, sender, customer_id, sender_number, gsm7(reply), now)
    return reply


async def _act(db: Database, sender: Sender, customer: Customer, word: str, body: str,
               now: datetime) -> str:  # fmt: skip
    name = sender.name
    if word in STOP or word in START:
        async with db.write() as session:
            await session.execute(
                update(Customer).where(Customer.id == customer.id).values(sms_consent=word in START)
            )
        if word in STOP:
            return f"{name}: you will get no more texts from us. Reply START to get them again."
        return f"{name}: texts are back on. Reply STOP to stop them."
    if word in HELP:
        return f"{name}: appointment texts. For help call {sender.number}. Reply STOP to stop."
    if word in ("C", "Y"):
        return await _next_appointment(db, sender, customer, word, now)
    message = await calls.take_message(
        db,
        sender.business_id,
        body=f"By text: {body}",
        caller_name=customer.name,
        callback_number=customer.phone,
        customer_id=customer.id,
        now=now,
    )
    log.info("text taken as a message", message=message.id)
    return f"{name}: thanks, we passed your message on and will get back to you."


async def _next_appointment(
    db: Database, sender: Sender, customer: Customer, word: str, now: datetime
) -> str:
    upcoming = await appointments.list_upcoming(
        db, sender.business_id, customer.id, now=now, limit=1
    )
    if not upcoming:
        return f"{sender.name}: you have no upcoming appointment. Call {sender.number} to book."
    first = upcoming[0]
    when = spoken(first.local_start)
    if word == "Y":
        async with db.write() as session:
            await session.execute(
                update(Appointment).where(Appointment.id == first.id).values(confirmed=True)
            )
        return f"{sender.name}: thanks, you are confirmed for {when}."
    try:
        await appointments.cancel(
            db, sender.business_id, first.id, customer_id=customer.id, enforce_cutoff=True, now=now
        )
    except TooLateToCancel:
        return (
            f"{sender.name}: it is too late to cancel {when} by text. Please call {sender.number}."
        )
    except BookingError:
        return f"{sender.name}: we could not cancel {when}. Please call {sender.number}."
    async with db.write() as session:
        # This reply says it; the cancellation's own text would say it twice.
        await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.appointment_id == first.id,
                WebhookDelivery.channel == Channel.SMS,
                WebhookDelivery.event == "appointment.cancelled",
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
        )
    return f"{sender.name}: your appointment on {when} is cancelled."


async def record_status(db: Database, ref: str, status: str, now: datetime) -> bool:
    """Keep the provider's delivery report on the text's row: a text the provider could not
    deliver is failed. False when no text has that id."""
    status = status.strip().lower()[:32]
    values: dict[str, object] = {"provider_status": status}
    if status in FAILED:
        values["status"] = DeliveryStatus.FAILED
    elif status == "delivered":
        values["delivered_at"] = now
    async with db.write() as session:
        found = await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.provider_ref == ref,
                WebhookDelivery.channel == Channel.SMS,
                WebhookDelivery.status != DeliveryStatus.PENDING,
            )
            .values(**values)
        )
        return bool(getattr(found, "rowcount", 0))

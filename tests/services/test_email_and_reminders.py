"""Confirmations and reminders through the outbox, to a real SMTP server (aiosmtpd) on loopback
and a real webhook receiver: sent for what committed, once, on time, moved and removed with
the appointment."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from booking.db import Database
from booking.models import Channel, DeliveryStatus, WebhookDelivery
from booking.services import (
    appointments,
    businesses,
    customers,
    erasure,
    notifications,
    webhook_sender,
    webhooks,
)
from booking.services.appointments import BookingRequest
from booking.services.email_channel import EmailChannel
from booking.smtp import SmtpTarget, parse_smtp_url
from tests.api.test_webhooks import Receiver
from tests.conftest import NOW
from tests.factories import Shop

SENDER = "Test Salon <bookings@salon.example>"
NEW_YORK_DAY = date(2026, 12, 8)  # a Tuesday; EST (UTC-5)
AFTER_DST = date(2027, 3, 16)  # a Tuesday; clocks went forward on 14 March: EDT (UTC-4)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """aiosmtpd's handler: every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]).strip() for m in self.messages]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, EmailChannel]]:
    found = Inbox()
    port = free_port()
    server = Controller(found, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield found, EmailChannel(SmtpTarget("127.0.0.1", port, implicit_tls=False), SENDER)
    finally:
        server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    yield found
    await found.stop()


async def consenting(db: Database, shop: Shop, consent: bool = True) -> int:
    customer = await customers.update_customer(
        db, shop.business_id, shop.ada, email="ada@example.com", email_consent=consent
    )
    return customer.id


async def book(db: Database, shop: Shop, day: date = NEW_YORK_DAY, at: time = time(10)) -> int:
    booked = await appointments.book(
        db,
        BookingRequest(
            shop.business_id, shop.ada, day, at, staff_id=shop.sam, service_id=shop.trim
        ),
        now=NOW,
    )
    return booked.id


async def deliver(db: Database, http: httpx.AsyncClient, email: EmailChannel, at: datetime) -> int:
    return await webhook_sender.deliver_due(
        db, http, clock=lambda: at, email=email, allow_private=True
    )


def invite(message: EmailMessage) -> Calendar:
    [attachment] = [part for part in message.iter_attachments()]
    assert attachment.get_content_type() == "text/calendar"
    return Calendar.from_ical(attachment.get_payload(decode=True))


def event_of(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


async def reminder_rows(db: Database, appointment_id: int) -> list[WebhookDelivery]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.appointment_id == appointment_id,
                    WebhookDelivery.event == notifications.REMINDER,
                )
            )
        )


async def test_a_booking_mails_one_confirmation_with_an_invite_right_across_dst(
    db: Database, shop: Shop, inbox: tuple[Inbox, EmailChannel], http: httpx.AsyncClient
) -> None:
    """Booked in November (EST) for a March morning after the clocks go forward (EDT): one
    email with a valid .ics, METHOD:REQUEST, the feed's UID, SEQUENCE 0, and 10:00 local is
    14:00 UTC."""
    mail, email = inbox
    await businesses.update_business(db, shop.business_id, horizon_days=200)
    await consenting(db, shop)
    appointment_id = await book(db, shop, AFTER_DST)

    assert await deliver(db, http, email, NOW) == 1
    [message] = mail.messages
    assert mail.recipients == [["ada@example.com"]]
    assert "Booked" in str(message["Subject"])
    assert "Tuesday 16 March 2027 at 10:00" in message.get_body(("plain",)).get_content()
    calendar = invite(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = event_of(calendar)
    assert str(event["UID"]) == f"appt-{appointment_id}@booking"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2027, 3, 16, 14, 15, tzinfo=UTC)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["America/New_York"]

    assert await deliver(db, http, email, NOW + timedelta(minutes=5)) == 0
    assert len(mail.messages) == 1  # sent once


async def test_a_booking_that_rolled_back_mails_nothing(
    db: Database,
    shop: Shop,
    inbox: tuple[Inbox, EmailChannel],
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The confirmation is written in the booking's transaction: when the booking fails after
    it was queued, neither exists and nothing is sent."""
    mail, email = inbox
    await consenting(db, shop)
    queue = notifications.on_change

    async def queue_then_fail(*args: Any, **kwargs: Any) -> None:
        await queue(*args, **kwargs)
        raise RuntimeError("the booking fails after its email was queued")

    monkeypatch.setattr(notifications, "on_change", queue_then_fail)
    with pytest.raises(RuntimeError):
        await book(db, shop)

    assert await deliver(db, http, email, NOW + timedelta(days=30)) == 0
    assert mail.messages == []
    async with db.read() as session:
        assert list(await session.scalars(select(WebhookDelivery))) == []


async def test_a_move_and_a_cancellation_each_mail_one_update_of_the_same_event(
    db: Database, shop: Shop, inbox: tuple[Inbox, EmailChannel], http: httpx.AsyncClient
) -> None:
    """A move mails one REQUEST with the new time, a cancellation one CANCEL; the UID stays,
    SEQUENCE grows with each change."""
    mail, email = inbox
    await consenting(db, shop)
    appointment_id = await book(db, shop)
    await appointments.move(
        db, shop.business_id, appointment_id, local_date=date(2026, 12, 9), local_time=time(11),
        now=NOW,
    )  # fmt: skip
    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)

    assert await deliver(db, http, email, NOW) == 3
    # The outbox sends concurrently, so the mails may arrive in any order: calendars go by
    # SEQUENCE, and so does this check.
    received = sorted(mail.messages, key=lambda m: int(event_of(invite(m))["SEQUENCE"]))
    booked, moved, cancelled = (event_of(invite(m)) for m in received)
    assert [str(invite(m)["METHOD"]) for m in received] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["UID"]) for e in (booked, moved, cancelled)} == {f"appt-{appointment_id}@booking"}
    assert [int(e["SEQUENCE"]) for e in (booked, moved, cancelled)] == [0, 1, 2]
    assert moved.decoded("DTSTART").astimezone(UTC) == datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    subjects = [str(m["Subject"]).strip() for m in received]
    assert ["Booked" in s for s in subjects] == [True, False, False]
    assert "Moved" in subjects[1] and "Cancelled" in subjects[2]


async def test_the_reminder_goes_at_its_time_once_with_two_outbox_workers(
    db: Database,
    database_url: str,
    shop: Shop,
    inbox: tuple[Inbox, EmailChannel],
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    """A day before the appointment, and not a minute sooner, one reminder email and one
    `appointment.reminder` webhook go out, though two outbox workers (each with its own
    connection pool, as two processes) run at the same moments."""
    mail, email = inbox
    await receiver.start()
    await webhooks.create_subscription(
        db, shop.business_id, receiver.url, ["appointment.reminder"], allow_private=True
    )
    await consenting(db, shop)
    await book(db, shop)  # 10:00 EST on 8 December: 15:00 UTC
    due = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    other = Database.from_url(database_url)
    try:

        async def both(at: datetime) -> None:
            async with httpx.AsyncClient() as second:
                await asyncio.gather(
                    webhook_sender.deliver_due(
                        db, http, clock=lambda: at, email=email, allow_private=True
                    ),
                    webhook_sender.deliver_due(
                        other, second, clock=lambda: at, email=email, allow_private=True
                    ),
                )

        await both(NOW)
        assert mail.subjects() == [s for s in mail.subjects() if s.startswith("Booked")]
        await both(due - timedelta(minutes=1))
        assert len(mail.messages) == 1 and receiver.received == []
        for _ in range(3):
            await both(due + timedelta(seconds=1))
        await both(due + timedelta(hours=1))
    finally:
        await other.dispose()

    reminders = [m for m in mail.messages if str(m["Subject"]).strip().startswith("Reminder")]
    assert len(reminders) == 1
    assert "Tuesday 8 December 2026 at 10:00" in reminders[0].get_body(("plain",)).get_content()
    assert list(reminders[0].iter_attachments()) == []
    assert [headers["X-Booking-Event"] for headers, _ in receiver.received] == [
        "appointment.reminder"
    ]


async def test_a_moved_appointments_reminder_moves_with_it(
    db: Database, shop: Shop, inbox: tuple[Inbox, EmailChannel], http: httpx.AsyncClient
) -> None:
    """After a move the reminder is due a day before the new time, says the new time, and
    nothing goes at the old reminder time."""
    mail, email = inbox
    await consenting(db, shop)
    appointment_id = await book(db, shop)
    await appointments.move(
        db, shop.business_id, appointment_id, local_date=date(2026, 12, 10), local_time=time(14),
        now=NOW,
    )  # fmt: skip
    new_due = datetime(2026, 12, 9, 19, 0, tzinfo=UTC)
    rows = await reminder_rows(db, appointment_id)
    assert [(r.channel, r.next_attempt_at) for r in rows] == [(Channel.EMAIL, new_due)]

    await deliver(db, http, email, datetime(2026, 12, 7, 15, 1, tzinfo=UTC))
    assert not any(s.startswith("Reminder") for s in mail.subjects())
    await deliver(db, http, email, new_due)
    [reminder] = [m for m in mail.messages if str(m["Subject"]).strip().startswith("Reminder")]
    assert "Thursday 10 December 2026 at 14:00" in reminder.get_body(("plain",)).get_content()


async def test_a_cancelled_appointments_reminder_is_gone(
    db: Database, shop: Shop, inbox: tuple[Inbox, EmailChannel], http: httpx.AsyncClient
) -> None:
    """Cancelling removes the reminder: no row is left and nothing goes at its time."""
    mail, email = inbox
    await consenting(db, shop)
    appointment_id = await book(db, shop)
    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)

    assert await reminder_rows(db, appointment_id) == []
    await deliver(db, http, email, datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    assert not any(s.startswith("Reminder") for s in mail.subjects())


async def test_a_customer_without_consent_gets_no_email(
    db: Database,
    shop: Shop,
    inbox: tuple[Inbox, EmailChannel],
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    """An email address without consent gets neither confirmation nor reminder; the business's
    reminder webhook still goes."""
    mail, email = inbox
    await receiver.start()
    await webhooks.create_subscription(
        db, shop.business_id, receiver.url, ["appointment.reminder"], allow_private=True
    )
    await consenting(db, shop, consent=False)
    await book(db, shop)

    await deliver(db, http, email, NOW)
    await deliver(db, http, email, datetime(2026, 12, 7, 15, 1, tzinfo=UTC))
    assert mail.messages == []
    assert len(receiver.received) == 1


async def test_a_booking_inside_the_reminder_window_gets_no_reminder(
    db: Database, shop: Shop
) -> None:
    """Booked this afternoon with reminders a day ahead: the confirmation is all; and with
    reminder_minutes 0 no booking gets one."""
    await consenting(db, shop)
    today = await book(db, shop, date(2026, 11, 30), time(14))
    assert await reminder_rows(db, today) == []
    await businesses.update_business(db, shop.business_id, reminder_minutes=0)
    later = await book(db, shop)
    assert await reminder_rows(db, later) == []


async def test_erasure_removes_queued_mail_and_reminders(
    db: Database,
    shop: Shop,
    inbox: tuple[Inbox, EmailChannel],
    http: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    """Erasing a customer removes the email queued for them and their appointments' pending
    reminders (webhook and email): nothing about them is sent afterwards."""
    mail, email = inbox
    await receiver.start()
    await webhooks.create_subscription(
        db, shop.business_id, receiver.url, ["appointment.reminder"], allow_private=True
    )
    customer_id = await consenting(db, shop)
    appointment_id = await book(db, shop)

    await erasure.erase_customer(db, shop.business_id, customer_id, now=NOW)

    async with db.read() as session:
        left = list(await session.scalars(select(WebhookDelivery)))
    assert [r for r in left if r.customer_id == customer_id] == []
    assert await reminder_rows(db, appointment_id) == []
    await deliver(db, http, email, datetime(2026, 12, 7, 15, 1, tzinfo=UTC))
    assert mail.messages == [] and receiver.received == []


async def test_a_reminder_due_after_its_appointment_began_fails_unsent(
    db: Database, shop: Shop, inbox: tuple[Inbox, EmailChannel], http: httpx.AsyncClient
) -> None:
    """Email that waited (no SMTP set, the server down) never reminds of an appointment that
    has begun: the delivery fails at once, without a retry."""
    mail, email = inbox
    await consenting(db, shop)
    appointment_id = await book(db, shop)
    await deliver(db, http, email, datetime(2026, 12, 8, 15, 30, tzinfo=UTC))
    assert not any(s.startswith("Reminder") for s in mail.subjects())
    [row] = await reminder_rows(db, appointment_id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)


def test_smtp_url_is_read_and_its_password_never_shown() -> None:
    """smtp:// means STARTTLS (required with a password), smtps:// implicit TLS; the masked
    form has no password."""
    target = parse_smtp_url("smtp://mailer:s3cr%40t@mail.example.com:587")
    assert (target.host, target.port, target.username, target.password) == (
        "mail.example.com", 587, "mailer", "s3cr@t",
    )  # fmt: skip
    assert target.starttls is True and not target.implicit_tls
    assert target.masked() == "smtp://mailer:***@mail.example.com:587"
    assert "s3cr" not in repr(target)
    secure = parse_smtp_url("smtps://relay.example.com")
    assert (secure.port, secure.implicit_tls, secure.starttls) == (465, True, False)
    with pytest.raises(ValueError, match="smtp://"):
        parse_smtp_url("http://user:pw@example.com")

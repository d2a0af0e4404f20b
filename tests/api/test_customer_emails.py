"""A customer's emails over HTTP (`/api/customers/{id}/emails`), after the outbox sent them to
a real SMTP server (aiosmtpd) on loopback: each confirmation and reminder with its status,
attempts and the mail server's last answer, newest first; the address and subject, never the
body (it greets the customer by name)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from booking.db import Database
from booking.services import appointments, customers, webhook_sender
from booking.services.appointments import BookingRequest
from booking.services.email_channel import EmailChannel
from booking.smtp import SmtpTarget
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.services.test_email_and_reminders import SENDER, Inbox, free_port

TUESDAY = date(2026, 12, 8)


class Refusing:
    """An SMTP server's handler that refuses every recipient (as for an unknown mailbox)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, *args: Any) -> str:
        return "550 5.1.1 no such mailbox"


def smtp_server(handler: object) -> Iterator[EmailChannel]:
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield EmailChannel(SmtpTarget("127.0.0.1", port, implicit_tls=False), SENDER)
    finally:
        server.stop()


@pytest.fixture
def accepting() -> Iterator[EmailChannel]:
    yield from smtp_server(Inbox())


@pytest.fixture
def refusing() -> Iterator[EmailChannel]:
    yield from smtp_server(Refusing())


async def book_trim(db: Database, shop: Shop, at: time) -> int:
    request = BookingRequest(shop.business_id, shop.ada, TUESDAY, at, shop.sam, shop.trim)
    return (await appointments.book(db, request, now=NOW)).id


async def test_a_customers_emails_are_listed_with_how_each_delivery_went(
    client: httpx.AsyncClient,
    db: Database,
    shop: Shop,
    auth: dict[str, str],
    accepting: EmailChannel,
    refusing: EmailChannel,
) -> None:
    """Two bookings, each a confirmation and a reminder: the first confirmation was taken
    (250), the second refused for good (550, one attempt), the reminders wait for their time;
    listed newest first with address and subject, and nothing of the body."""
    await customers.update_customer(
        db, shop.business_id, shop.ada, email="ada@example.com", email_consent=True
    )
    first = await book_trim(db, shop, time(10))
    async with httpx.AsyncClient() as http:
        sent = await webhook_sender.deliver_due(db, http, clock=lambda: NOW, email=accepting)
        assert sent == 1
        second = await book_trim(db, shop, time(11))
        later = NOW + timedelta(minutes=1)
        await webhook_sender.deliver_due(db, http, clock=lambda: later, email=refusing)

    answer = await client.get(f"/api/customers/{shop.ada}/emails", headers=auth)

    assert answer.status_code == 200, answer.text
    emails = answer.json()
    assert [(e["event"], e["appointment_id"], e["status"]) for e in emails] == [
        ("appointment.reminder", second, "pending"),
        ("appointment.booked", second, "failed"),
        ("appointment.reminder", first, "pending"),
        ("appointment.booked", first, "delivered"),
    ]
    assert {e["to"] for e in emails} == {"ada@example.com"}
    delivered, refused = emails[3], emails[1]
    assert delivered["subject"] == (
        "Booked: beard trim at Test Salon, Tuesday 8 December 2026 at 10:00"
    )
    assert (delivered["attempts"], delivered["last_status_code"]) == (1, 250)
    assert delivered["last_error"] is None and delivered["delivered_at"] is not None
    assert (refused["attempts"], refused["last_status_code"]) == (1, 550)
    assert refused["last_error"] == "the mail server refused the address"
    assert refused["delivered_at"] is None
    reminder = emails[2]
    assert reminder["attempts"] == 0 and reminder["last_error"] is None
    assert reminder["next_attempt_at"] == "2026-12-07T15:00:00Z"  # a day before 10:00 EST
    assert reminder["subject"].startswith("Reminder: beard trim at Test Salon")
    assert "Ada" not in answer.text and "Hello" not in answer.text  # no body, no name
    texts = await client.get(f"/api/customers/{shop.ada}/texts", headers=auth)
    assert texts.json() == []  # no consent to texts, and emails are not texts


async def test_emails_of_another_business_or_without_a_token_are_refused(
    client: httpx.AsyncClient, db: Database, shop: Shop, auth: dict[str, str]
) -> None:
    """Another business's customer and an unknown id are 404; no token is 401."""
    other = await make_shop(db, name="Other Salon", number="+12125550199")
    theirs = await client.get(f"/api/customers/{other.ada}/emails", headers=auth)
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "not_found"
    assert (await client.get("/api/customers/999999/emails", headers=auth)).status_code == 404
    assert (await client.get(f"/api/customers/{shop.ada}/emails")).status_code == 401

"""A new caller who gives an email address and says yes to an email confirmation is saved with
both; their booking then queues the confirmation email (on every model path)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from booking.models import Channel, Customer, WebhookDelivery
from tests.agent.scripted import tool


async def rows(db: Any, model: Any, *where: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model).where(*where)))


async def test_a_caller_who_says_yes_to_email_gets_a_confirmation_queued(db, shop, phone):
    """create_new_customer with an email and consent stores both, and the booking that follows
    writes one confirmation email to that address."""
    call = await phone(caller="+1 212 555 0147")
    call.model.add(
        tool(
            "create_new_customer",
            name="Grace Hopper",
            email="grace@example.com",
            email_consent=True,
        ),
        "Thanks Grace. How can I help?",
        tool("check_availability", date="2026-12-01", part_of_day="morning", service="haircut"),
        "I have a few times on Tuesday morning.",
        tool("book_appointment", option_id="T1"),
        "You're booked, and the confirmation is on its way.",
    )
    await call.say("Hi, this is Grace Hopper, grace@example.com, and yes, email me")
    await call.say("A haircut on Tuesday morning please")
    await call.say("The first one, please")
    await call.hang_up()

    [grace] = await rows(db, Customer, Customer.phone == "+12125550147")
    assert (grace.email, grace.email_consent) == ("grace@example.com", True)
    mail = await rows(db, WebhookDelivery, WebhookDelivery.channel == Channel.EMAIL)
    confirmations = [m for m in mail if m.event == "appointment.booked"]
    assert [m.payload["to"] for m in confirmations] == ["grace@example.com"]


async def test_an_email_without_a_yes_is_kept_without_consent(db, shop, phone):
    """An address given without a yes to email confirmations stores no consent, so no email is
    queued for the booking."""
    call = await phone(caller="+1 212 555 0147")
    call.model.add(
        tool("create_new_customer", name="Grace Hopper", email="grace@example.com"),
        "Thanks Grace.",
    )
    await call.say("Hi, this is Grace Hopper")
    await call.hang_up()

    [grace] = await rows(db, Customer, Customer.phone == "+12125550147")
    assert grace.email_consent is False

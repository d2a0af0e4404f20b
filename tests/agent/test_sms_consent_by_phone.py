"""A caller who says yes to a text after booking has their consent stored, and the booking's
confirmation text and reminder are queued to the number they called from (on every model
path)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from booking.models import Channel, Customer, WebhookDelivery
from tests.agent.scripted import tool


async def rows(db: Any, model: Any, *where: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model).where(*where)))


async def test_a_caller_who_agrees_to_a_text_after_booking_has_consent_stored(db, shop, phone):
    """Known by caller ID, the caller books, then says yes to a text: sms_consent is stored and
    the confirmation and reminder texts for that booking are queued to their number."""
    call = await phone(caller="+1 234 567 8900")
    call.model.add(
        tool("check_availability", date="2026-12-01", part_of_day="morning", service="haircut"),
        "I have a few times on Tuesday morning.",
        tool("book_appointment", option_id="T1"),
        "You're booked. Would you like a text confirmation and a reminder?",
        tool("create_new_customer", name="Ada Lovelace", sms_consent=True),
        "Done, a text is on its way.",
    )
    await call.say("A haircut on Tuesday morning please")
    await call.say("The first one, please")
    await call.say("Yes, text me please")
    await call.hang_up()

    [ada] = await rows(db, Customer, Customer.phone == "+12345678900")
    assert ada.sms_consent is True
    texts = await rows(db, WebhookDelivery, WebhookDelivery.channel == Channel.SMS)
    assert sorted(t.event for t in texts) == ["appointment.booked", "appointment.reminder"]
    assert {t.payload["to"] for t in texts} == {"+12345678900"}


async def test_a_caller_who_does_not_say_yes_gets_no_texts(db, shop, phone):
    """A new caller saved without a yes to texts has no consent and no text is queued."""
    call = await phone(caller="+1 212 555 0147")
    call.model.add(tool("create_new_customer", name="Grace Hopper"), "Thanks Grace.")
    await call.say("Hi, this is Grace Hopper")
    await call.hang_up()

    [grace] = await rows(db, Customer, Customer.phone == "+12125550147")
    assert grace.sms_consent is False
    assert await rows(db, WebhookDelivery, WebhookDelivery.channel == Channel.SMS) == []

"""The Messages inbox over plain HTTP: open messages with a tel: call-back link, marking one
handled (as an htmx swap and as a plain form), and another business's message."""

from __future__ import annotations

import httpx

from booking.db import Database
from booking.models import Message
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client
from tests.web.pages_seed import message


async def test_the_inbox_shows_open_messages_with_a_call_back_link(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Open messages are listed with the caller's name, words and a tel: link to call back."""
    await message(db, shop, "Please call about my colour appointment")
    client, _ = await signed_in_client(web_client, shop.token)
    inbox = await client.get("/admin/messages")
    assert inbox.status_code == 200
    assert "Please call about my colour appointment" in inbox.text
    assert 'href="tel:+12125550123"' in inbox.text


async def test_marking_a_message_handled_swaps_its_row_and_stores_the_time(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """htmx's post answers with the message's own row, now handled; the row in the database
    has its handled time, and the open inbox no longer lists it."""
    taken = await message(db, shop, "Running late")
    client, csrf = await signed_in_client(web_client, shop.token)
    swapped = await client.post(
        f"/admin/messages/{taken.id}/handled",
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith(f'<li class="message handled" id="message-{taken.id}"')
    assert "<html" not in swapped.text
    async with db.read() as session:
        stored = await session.get(Message, taken.id)
        assert stored is not None and stored.handled_at is not None
    assert "Running late" not in (await client.get("/admin/messages")).text
    handled = await client.get("/admin/messages", params={"show": "handled"})
    assert "Running late" in handled.text


async def test_a_plain_form_post_marks_handled_and_comes_back_to_the_inbox(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Without a script the button is a form post that returns to the inbox."""
    taken = await message(db, shop, "No script here")
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(f"/admin/messages/{taken.id}/handled", data={"_csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/messages"
    assert "No script here" not in (await client.get("/admin/messages")).text


async def test_another_business_message_is_not_found_and_stays_open(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Marking another business's message handled answers 404 and changes nothing."""
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    theirs = await message(db, other, "Not yours")
    client, csrf = await signed_in_client(web_client, shop.token)
    answer = await client.post(f"/admin/messages/{theirs.id}/handled", data={"_csrf_token": csrf})
    assert answer.status_code == 404
    async with db.read() as session:
        stored = await session.get(Message, theirs.id)
        assert stored is not None and stored.handled_at is None

"""The outbound URL guard on webhooks: refused when saved (422 naming `url`) and before every
send, unless OUTBOUND_ALLOW_PRIVATE is on."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from booking.api.app import create_app
from booking.db import Database
from booking.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from booking.services import calls, webhook_sender, webhooks
from tests.api.test_webhooks import Receiver
from tests.conftest import NOW
from tests.factories import Shop

UNSAFE = [
    "http://127.0.0.1:59/hook",
    "https://10.0.0.7/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:59/hook",
]
# What OUTBOUND_ALLOW_PRIVATE lets through: all but the clouds' metadata address.
ON_THE_LAN = [url for url in UNSAFE if "169.254.169.254" not in url]


@pytest.fixture
async def lan_client(db: Database):
    """The app of a business that set OUTBOUND_ALLOW_PRIVATE (its receivers are on its LAN)."""
    app = create_app(db, clock=lambda: NOW, outbound_allow_private=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
async def receiver():
    found = Receiver()
    yield found
    await found.stop()


@pytest.mark.parametrize("url", UNSAFE)
async def test_a_webhook_to_a_private_address_is_refused_by_default(
    client: httpx.AsyncClient, db: Database, auth: dict[str, str], url: str
) -> None:
    """Loopback, 10/8, the metadata address and a name resolving to 127.0.0.1 are refused with
    a 422 naming `url` and saying why; nothing is saved."""
    answer = await client.post(
        "/api/webhooks", json={"url": url, "events": ["message.taken"]}, headers=auth
    )
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "url"
    assert "OUTBOUND_ALLOW_PRIVATE" in error["message"]
    assert (await client.get("/api/webhooks", headers=auth)).json() == []


@pytest.mark.parametrize("url", ON_THE_LAN)
async def test_a_webhook_to_a_private_address_is_saved_when_allowed(
    lan_client: httpx.AsyncClient, auth: dict[str, str], url: str
) -> None:
    """With OUTBOUND_ALLOW_PRIVATE the same URLs are saved (not the metadata address)."""
    answer = await lan_client.post(
        "/api/webhooks", json={"url": url, "events": ["message.taken"]}, headers=auth
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["url"] == url


async def test_credentials_in_a_webhook_url_are_refused(
    lan_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A user name and password inside the URL are refused whatever the setting: they would
    be shown in every listing."""
    answer = await lan_client.post(
        "/api/webhooks",
        json={"url": "https://me:secret@hooks.example/in", "events": ["message.taken"]},
        headers=auth,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "url"


async def test_a_delivery_to_a_url_that_became_unsafe_fails_with_the_reason(
    db: Database, shop: Shop, receiver: Receiver
) -> None:
    """A subscription saved while private addresses were allowed, delivered after the setting
    was turned off: nothing reaches the receiver, and the delivery fails at once with the
    reason recorded in its attempt."""
    await receiver.start()
    await webhooks.create_subscription(
        db, shop.business_id, receiver.url, ["message.taken"], allow_private=True
    )
    await calls.take_message(db, shop.business_id, body="Call me", caller_name="Ada", now=NOW)
    async with httpx.AsyncClient() as sender:
        due = NOW + timedelta(minutes=1)
        assert await webhook_sender.deliver_due(db, sender, clock=lambda: due) == 1
    assert receiver.received == []
    async with db.read() as session:
        delivery = await session.scalar(select(WebhookDelivery))
        [attempt] = list(await session.scalars(select(WebhookAttempt)))
    assert delivery is not None and delivery.status == DeliveryStatus.FAILED
    assert attempt.error is not None and "127.0.0.1 is a loopback address" in attempt.error


async def test_a_delivery_to_a_name_resolving_to_loopback_is_sent_only_when_allowed(
    db: Database, shop: Shop, receiver: Receiver
) -> None:
    """`localhost` resolves to 127.0.0.1: with the setting off its delivery is refused; with it
    on the receiver gets it."""
    await receiver.start()
    url = receiver.url.replace("127.0.0.1", "localhost")
    await webhooks.create_subscription(
        db, shop.business_id, url, ["message.taken"], allow_private=True
    )
    await calls.take_message(db, shop.business_id, body="Call me", caller_name="Ada", now=NOW)
    await calls.take_message(db, shop.business_id, body="Again", caller_name="Ada", now=NOW)
    async with db.read() as session:
        first, second = list(await session.scalars(select(WebhookDelivery.id)))
    async with httpx.AsyncClient() as sender:
        due = NOW + timedelta(minutes=1)
        assert await webhook_sender.take_lease(db, second, due, 60)  # held back for now
        assert await webhook_sender.deliver_due(db, sender, clock=lambda: due) == 1
        assert receiver.received == []
        later = due + timedelta(minutes=5)
        sent = await webhook_sender.deliver_due(db, sender, clock=lambda: later, allow_private=True)
    assert sent == 1 and len(receiver.received) == 1
    async with db.read() as session:
        statuses = dict(
            (await session.execute(select(WebhookDelivery.id, WebhookDelivery.status))).all()
        )
    assert statuses == {first: DeliveryStatus.FAILED, second: DeliveryStatus.DELIVERED}


@pytest.mark.parametrize("url", UNSAFE)
async def test_a_calendar_on_a_private_address_is_refused_by_default(
    client: httpx.AsyncClient, shop: Shop, auth: dict[str, str], url: str
) -> None:
    """A staff calendar (an ICS address, or the calendar a CalDAV account writes bookings to)
    at loopback, 10/8, the metadata address or a name resolving to 127.0.0.1 is refused with a
    422 naming its field; nothing is saved."""
    calendars = f"/api/staff/{shop.sam}/calendars"
    ics = await client.post(calendars, json={"kind": "ics", "url": url}, headers=auth)
    assert ics.status_code == 422, ics.text
    [error] = ics.json()["errors"]
    assert error["field"] == "url" and "OUTBOUND_ALLOW_PRIVATE" in error["message"]
    caldav = await client.post(
        calendars,
        json={
            "kind": "caldav",
            "url": "https://dav.invalid/",
            "username": "sam",
            "password": "app-pass",
            "write_calendar": url,
        },
        headers=auth,
    )
    assert caldav.status_code == 422, caldav.text
    assert [e["field"] for e in caldav.json()["errors"]] == ["write_calendar"]
    assert (await client.get(calendars, headers=auth)).json() == []


@pytest.mark.parametrize("url", ON_THE_LAN)
async def test_a_calendar_on_a_private_address_is_saved_when_allowed(
    lan_client: httpx.AsyncClient, shop: Shop, auth: dict[str, str], url: str
) -> None:
    """With OUTBOUND_ALLOW_PRIVATE the same addresses are saved (a Nextcloud on the LAN), the
    metadata address excepted."""
    answer = await lan_client.post(
        f"/api/staff/{shop.sam}/calendars",
        json={
            "kind": "caldav",
            "url": url,
            "username": "sam",
            "password": "app-pass",
            "write_calendar": url,
        },
        headers=auth,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["url"] == url


async def test_the_metadata_address_is_refused_even_when_private_is_allowed(
    lan_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """With OUTBOUND_ALLOW_PRIVATE, a webhook to the cloud's metadata address is still
    refused with a 422 naming `url`."""
    answer = await lan_client.post(
        "/api/webhooks",
        json={"url": "http://169.254.169.254/latest/meta-data/", "events": ["message.taken"]},
        headers=auth,
    )
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "url" and "metadata" in error["message"]

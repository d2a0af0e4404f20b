"""Texts coming back: customers' replies and the providers' delivery reports at `/sms/twilio`
and `/sms/telnyx`, accepted only when signed the provider's way; and each customer's texts and
consent in the admin API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from booking.api.app import create_app
from booking.api.sms import SmsKeys
from booking.db import Database
from booking.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Customer,
    DeliveryStatus,
    Message,
    WebhookDelivery,
)
from booking.services import appointments, customers, webhook_sender
from booking.services.appointments import BookingRequest
from booking.services.sms_channel import SmsChannel
from tests.conftest import NOW
from tests.factories import Shop
from tests.sms_standins import TWILIO_TOKEN, StandIn

ADA = "+12345678900"
SHOP_NUMBER = "+12125550100"
TELNYX_KEY = Ed25519PrivateKey.generate()
TELNYX_PUBLIC = base64.b64encode(
    TELNYX_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
).decode()


def _app_client(db: Database, keys: SmsKeys) -> httpx.AsyncClient:
    app = create_app(db, clock=lambda: NOW, sms=keys)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def twilio_app(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    keys = SmsKeys("twilio", twilio_auth_token=TWILIO_TOKEN, public_url="https://sms.example")
    async with _app_client(db, keys) as client:
        yield client


@pytest.fixture
async def telnyx_app(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with _app_client(db, SmsKeys("telnyx", telnyx_public_key=TELNYX_PUBLIC)) as client:
        yield client


def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    """As Twilio documents it: the URL, then each POST parameter's name and value sorted by
    name, HMAC-SHA1 under the auth token, base64."""
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()


async def twilio_post(
    client: httpx.AsyncClient, params: dict[str, str], signature: str | None = None
) -> httpx.Response:
    signature = signature or twilio_signature("https://sms.example/sms/twilio", params)
    return await client.post(
        "/sms/twilio",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )


async def text_in(client: httpx.AsyncClient, body: str, sender: str = ADA) -> httpx.Response:
    params = {"From": sender, "To": SHOP_NUMBER, "Body": body, "MessageSid": "SMin1"}
    return await twilio_post(client, params)


def telnyx_headers(body: bytes, at: int, key: Ed25519PrivateKey = TELNYX_KEY) -> dict[str, str]:
    signature = key.sign(str(at).encode() + b"|" + body)
    return {
        "Content-Type": "application/json",
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": str(at),
    }


def telnyx_body(text: str, sender: str = ADA) -> bytes:
    return json.dumps(
        {
            "data": {
                "event_type": "message.received",
                "id": "evt-1",
                "payload": {
                    "id": "msg-in-1",
                    "from": {"phone_number": sender},
                    "to": [{"phone_number": SHOP_NUMBER}],
                    "text": text,
                },
            }
        }
    ).encode()


async def book(db: Database, shop: Shop, day: date = date(2026, 12, 8), at: time = time(10)) -> int:
    booked = await appointments.book(
        db,
        BookingRequest(
            shop.business_id, shop.ada, day, at, staff_id=shop.sam, service_id=shop.trim
        ),
        now=NOW,
    )
    return booked.id


async def rows(db: Database, model: Any, *where: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model).where(*where)))


async def replies(db: Database) -> list[str]:
    texts = await rows(db, WebhookDelivery, WebhookDelivery.event == "sms.reply")
    return [t.payload["text"] for t in sorted(texts, key=lambda t: t.id)]


async def test_c_cancels_the_next_appointment_and_says_so(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient
) -> None:
    """'C' cancels the customer's next appointment (not the later one) and the reply names it;
    no second text about the same cancellation is queued."""
    await customers.update_customer(db, shop.business_id, shop.ada, sms_consent=True)
    first, later = await book(db, shop), await book(db, shop, date(2026, 12, 9))

    response = await text_in(twilio_app, " c ")

    assert response.status_code == 200
    statuses = {a.id: a.status for a in await rows(db, Appointment)}
    assert statuses == {first: AppointmentStatus.CANCELLED, later: AppointmentStatus.BOOKED}
    assert await replies(db) == [
        "Test Salon: your appointment on Tue 8 Dec at 10:00 AM is cancelled."
    ]
    cancelled = await rows(db, WebhookDelivery, WebhookDelivery.event == "appointment.cancelled")
    assert all(d.channel != Channel.SMS for d in cancelled)


async def test_c_past_the_cut_off_cancels_nothing_and_says_to_call(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient
) -> None:
    """An appointment inside the two-hour cut-off stays booked; the reply says it is too late
    and gives the number to call."""
    appointment_id = await book(db, shop, date(2026, 11, 30), time(9, 30))  # in 90 minutes

    await text_in(twilio_app, "C")

    [appointment] = await rows(db, Appointment, Appointment.id == appointment_id)
    assert appointment.status == AppointmentStatus.BOOKED
    assert await replies(db) == [
        "Test Salon: it is too late to cancel Mon 30 Nov at 9:30 AM by text. Please call "
        "+12125550100."
    ]


async def test_y_confirms_the_next_appointment(
    db: Database, shop: Shop, telnyx_app: httpx.AsyncClient
) -> None:
    """'Y' by Telnyx marks the next appointment confirmed and thanks the customer."""
    appointment_id = await book(db, shop)
    body = telnyx_body("Y")

    response = await telnyx_app.post(
        "/sms/telnyx", content=body, headers=telnyx_headers(body, int(NOW.timestamp()))
    )

    assert response.status_code == 200
    [appointment] = await rows(db, Appointment, Appointment.id == appointment_id)
    assert appointment.confirmed is True
    assert await replies(db) == ["Test Salon: thanks, you are confirmed for Tue 8 Dec at 10:00 AM."]


async def test_stop_opts_out_and_drops_queued_texts_and_start_opts_back_in(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient
) -> None:
    """STOP withdraws consent and removes the texts not yet sent (the reminder); the reply
    says so. START gives consent again."""
    await customers.update_customer(db, shop.business_id, shop.ada, sms_consent=True)
    await book(db, shop)

    await text_in(twilio_app, "STOP")

    [ada] = await rows(db, Customer, Customer.id == shop.ada)
    assert ada.sms_consent is False
    pending = await rows(
        db,
        WebhookDelivery,
        WebhookDelivery.channel == Channel.SMS,
        WebhookDelivery.event != "sms.reply",
    )
    assert pending == []
    await text_in(twilio_app, "start")
    async with db.read() as session:
        assert (await session.get(Customer, shop.ada)).sms_consent is True  # type: ignore[union-attr]
    assert [r.split(":")[1].strip()[:12] for r in await replies(db)] == [
        "you will get",
        "texts are ba",
    ]


async def test_free_text_lands_in_the_inbox(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient
) -> None:
    """Anything else becomes a message for the staff, under the customer, with a reply."""
    await text_in(twilio_app, "Can I bring my dog?")

    [message] = await rows(db, Message)
    assert (message.customer_id, message.callback_number) == (shop.ada, ADA)
    assert "Can I bring my dog?" in message.body
    assert len(await replies(db)) == 1


async def test_an_unknown_number_is_asked_to_call(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient
) -> None:
    """A number that is no customer's changes nothing and is asked to call."""
    appointment_id = await book(db, shop)
    await text_in(twilio_app, "C", sender="+12125550111")

    [appointment] = await rows(db, Appointment, Appointment.id == appointment_id)
    assert appointment.status == AppointmentStatus.BOOKED
    assert await replies(db) == [
        "Test Salon: we could not match your number. Please call us on +12125550100."
    ]


async def test_forged_or_unsigned_twilio_posts_are_refused_with_nothing_changed(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient
) -> None:
    """A signature under another token, over another URL, or none at all: 403, and the
    appointment stays booked with no reply queued."""
    appointment_id = await book(db, shop)
    params = {"From": ADA, "To": SHOP_NUMBER, "Body": "C"}
    for signature in (
        twilio_signature("https://sms.example/sms/twilio", params, token="not-the-token"),
        twilio_signature("https://elsewhere.example/sms/twilio", params),
        "",
    ):
        response = await twilio_app.post(
            "/sms/twilio",
            content=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **({"X-Twilio-Signature": signature} if signature else {}),
            },
        )
        assert response.status_code == 403
    [appointment] = await rows(db, Appointment, Appointment.id == appointment_id)
    assert appointment.status == AppointmentStatus.BOOKED
    assert await replies(db) == []


async def test_forged_or_stale_telnyx_posts_are_refused_with_nothing_changed(
    db: Database, shop: Shop, telnyx_app: httpx.AsyncClient
) -> None:
    """Signed by another key, ten minutes old, or with the body changed after signing: 403."""
    appointment_id = await book(db, shop)
    body, at = telnyx_body("C"), int(NOW.timestamp())
    attempts = [
        (body, telnyx_headers(body, at, Ed25519PrivateKey.generate())),
        (body, telnyx_headers(body, at - 600)),
        (telnyx_body("Y"), telnyx_headers(body, at)),
    ]
    for content, headers in attempts:
        response = await telnyx_app.post("/sms/telnyx", content=content, headers=headers)
        assert response.status_code == 403
    [appointment] = await rows(db, Appointment, Appointment.id == appointment_id)
    assert (appointment.status, appointment.confirmed) == (AppointmentStatus.BOOKED, False)
    assert await replies(db) == []


async def test_delivery_reports_update_the_text_and_the_api_shows_them(
    db: Database, shop: Shop, twilio_app: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A text handed to the provider, then reported delivered by Twilio's status callback, and
    one that failed while the provider was down, show with their status under the customer,
    beside the customer's consent."""
    stand_in = await StandIn("twilio").start()
    try:
        await customers.update_customer(db, shop.business_id, shop.ada, sms_consent=True)
        await book(db, shop)
        async with httpx.AsyncClient() as http:
            sms = SmsChannel(stand_in.provider(), http)
            await webhook_sender.deliver_due(db, http, clock=lambda: NOW, sms=sms)
            [booked] = await rows(db, WebhookDelivery, WebhookDelivery.channel == Channel.SMS,
                                  WebhookDelivery.event == "appointment.booked")  # fmt: skip
            assert booked.provider_ref
            await twilio_post(
                twilio_app,
                {"MessageSid": booked.provider_ref, "MessageStatus": "delivered", "To": ADA},
            )
            stand_in.status = 500
            await book(db, shop, date(2026, 12, 9))
            at = NOW
            for _ in range(webhook_sender.MAX_ATTEMPTS):
                await webhook_sender.deliver_due(db, http, clock=lambda at=at: at, sms=sms)
                at += timedelta(minutes=30)
    finally:
        await stand_in.stop()

    customer = await twilio_app.get(f"/api/customers/{shop.ada}", headers=auth)
    assert customer.json()["sms_consent"] is True
    response = await twilio_app.get(f"/api/customers/{shop.ada}/texts", headers=auth)
    assert response.status_code == 200
    shown = {(t["event"], t["status"], t["provider_status"]) for t in response.json()}
    assert ("appointment.booked", "delivered", "delivered") in shown
    assert ("appointment.booked", "failed", None) in shown
    failed = [t for t in response.json() if t["status"] == "failed"]
    assert failed[0]["last_error"] == "Twilio answered 500"
    assert failed[0]["attempts"] == webhook_sender.MAX_ATTEMPTS
    assert all(DeliveryStatus(t["status"]) for t in response.json())

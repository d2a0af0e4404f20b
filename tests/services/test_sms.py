"""Confirmations and reminders by text, through the outbox to local stand-ins of Twilio's and
Telnyx's APIs: sent for what committed, once, in the business's time zone, never without
consent or at night, retried while the provider is down and then failed for all to see."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from booking.db import Database
from booking.models import Channel, DeliveryStatus, WebhookDelivery
from booking.services import appointments, businesses, customers, notifications, webhook_sender
from booking.services.appointments import BookingRequest
from booking.services.sms_channel import SmsChannel
from booking.services.sms_messages import REMINDER
from booking.services.webhook_sender import MAX_ATTEMPTS, SendLimits
from tests.conftest import NOW
from tests.factories import Shop
from tests.sms_standins import StandIn

DAY = date(2026, 12, 8)  # a Tuesday; EST (UTC-5)
AFTER_DST = date(2027, 3, 16)  # a Tuesday; clocks went forward on 14 March: EDT (UTC-4)


@pytest.fixture(params=["twilio", "telnyx"])
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[StandIn]:
    stand_in = await StandIn(request.param).start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def consenting(db: Database, shop: Shop, consent: bool = True) -> None:
    await customers.update_customer(db, shop.business_id, shop.ada, sms_consent=consent)


async def book(db: Database, shop: Shop, day: date = DAY, at: time = time(10)) -> int:
    booked = await appointments.book(
        db,
        BookingRequest(
            shop.business_id, shop.ada, day, at, staff_id=shop.sam, service_id=shop.haircut
        ),
        now=NOW,
    )
    return booked.id


async def deliver(
    db: Database,
    http: httpx.AsyncClient,
    provider: StandIn,
    at: datetime,
    limits: SendLimits | None = None,
) -> int:
    sms = SmsChannel(provider.provider(), http)
    return await webhook_sender.deliver_due(db, http, clock=lambda: at, sms=sms, limits=limits)


async def texts(db: Database, *where: Any) -> list[WebhookDelivery]:
    async with db.read() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.channel == Channel.SMS, *where)
        return list(await session.scalars(query.order_by(WebhookDelivery.id)))


async def test_a_booking_texts_one_confirmation_in_local_time_across_dst(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """A booking after the spring change texts one confirmation from the business's number,
    saying 10:00 AM local (14:00 UTC, not 15:00), short and in GSM-7."""
    await businesses.update_business(db, shop.business_id, horizon_days=200)
    await consenting(db, shop)
    await book(db, shop, AFTER_DST)

    assert await deliver(db, http, provider, NOW) == 1
    [sent] = provider.texts
    assert (sent.sender, sent.to) == ("+12125550100", "+12345678900")
    assert sent.text == (
        "Test Salon: haircut with Sam, Tue 16 Mar at 10:00 AM. Reply C to cancel, Y to confirm."
    )
    assert len(sent.text) < 160
    [row] = await texts(db, WebhookDelivery.event == "appointment.booked")
    assert row.status == DeliveryStatus.DELIVERED and row.provider_ref


async def test_a_booking_that_rolled_back_texts_nothing(
    db: Database,
    shop: Shop,
    provider: StandIn,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The text is written in the booking's transaction: a booking that fails after queuing it
    leaves neither, and nothing is sent."""
    await consenting(db, shop)
    queue = notifications.on_change

    async def queue_then_fail(*args: Any, **kwargs: Any) -> None:
        await queue(*args, **kwargs)
        raise RuntimeError("the booking fails after its text was queued")

    monkeypatch.setattr(notifications, "on_change", queue_then_fail)
    with pytest.raises(RuntimeError):
        await book(db, shop)

    assert await deliver(db, http, provider, NOW + timedelta(days=30)) == 0
    assert provider.texts == [] and await texts(db) == []


async def test_a_move_and_a_cancellation_text_one_each(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """Booking, moving and cancelling text three messages: booked, moved to the new time, and
    cancelled; the reminder goes with the cancellation."""
    await consenting(db, shop)
    appointment_id = await book(db, shop)
    await appointments.move(
        db, shop.business_id, appointment_id, local_date=date(2026, 12, 9), local_time=time(11),
        now=NOW,
    )  # fmt: skip
    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)

    assert await deliver(db, http, provider, NOW + timedelta(days=20)) == 3
    # The outbox sends concurrently: the texts may arrive in any order.
    texts = sorted(t.text for t in provider.texts)
    [moved] = [t for t in texts if "moved to" in t]
    [cancelled] = [t for t in texts if t.endswith("is cancelled.")]
    [booked] = [t for t in texts if t not in (moved, cancelled)]
    assert "Tue 8 Dec at 10:00 AM" in booked
    assert "moved to Wed 9 Dec at 11:00 AM" in moved
    assert cancelled == "Test Salon: your haircut with Sam on Wed 9 Dec at 11:00 AM is cancelled."


async def test_the_reminder_goes_once_with_two_outbox_workers(
    db: Database, database_url: str, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """A day before, and not sooner, one reminder text goes out though two outbox workers (each
    with its own connection pool, as two processes) run at the same moments."""
    await consenting(db, shop)
    await book(db, shop)  # 10:00 EST on 8 December: 15:00 UTC
    due = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    other = Database.from_url(database_url)
    try:

        async def both(at: datetime) -> None:
            async with httpx.AsyncClient() as second:
                await asyncio.gather(
                    deliver(db, http, provider, at),
                    webhook_sender.deliver_due(
                        other, second, clock=lambda: at, sms=SmsChannel(provider.provider(), second)
                    ),
                )

        await both(NOW)
        await both(due - timedelta(minutes=1))
        assert len(provider.texts) == 1
        for _ in range(3):
            await both(due + timedelta(seconds=1))
        await both(due + timedelta(hours=1))
    finally:
        await other.dispose()

    reminders = [t.text for t in provider.texts if "reminder" in t.text]
    assert reminders == [
        "Test Salon reminder: haircut with Sam, Tue 8 Dec at 10:00 AM. Reply C to cancel, Y to "
        "confirm."
    ]


async def test_a_reminder_due_at_night_waits_for_the_morning(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """A reminder due at 07:00 (quiet hours 21:00-08:00) is held, unsent and unattempted, and
    goes at 08:00, before the 09:00 appointment."""
    await businesses.update_business(db, shop.business_id, reminder_minutes=120)
    await consenting(db, shop)
    await book(db, shop, at=time(9))  # 14:00 UTC; reminder due 07:00 EST = 12:00 UTC
    await deliver(db, http, provider, NOW)
    provider.texts.clear()

    await deliver(db, http, provider, datetime(2026, 12, 8, 12, 0, tzinfo=UTC))
    assert provider.texts == []
    [held] = await texts(db, WebhookDelivery.event == REMINDER)
    assert (held.status, held.attempts) == (DeliveryStatus.PENDING, 0)
    assert held.next_attempt_at == datetime(2026, 12, 8, 13, 0, tzinfo=UTC)  # 08:00 EST

    await deliver(db, http, provider, datetime(2026, 12, 8, 13, 0, tzinfo=UTC))
    assert [t.text[:20] for t in provider.texts] == ["Test Salon reminder:"]


async def test_a_reminder_whose_quiet_hours_last_past_the_appointment_is_not_sent(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """With quiet hours until 10:00, a 09:00 appointment's 07:00 reminder is never sent."""
    await businesses.update_business(
        db, shop.business_id, reminder_minutes=120, quiet_until_minute=600
    )
    await consenting(db, shop)
    await book(db, shop, at=time(9))
    await deliver(db, http, provider, NOW)
    assert provider.texts == []  # 08:00: the confirmation waits too
    await deliver(db, http, provider, NOW + timedelta(hours=2))
    assert len(provider.texts) == 1
    provider.texts.clear()
    for hour in (12, 14, 15):
        await deliver(db, http, provider, datetime(2026, 12, 8, hour, 0, tzinfo=UTC))
    assert provider.texts == []
    [reminder] = await texts(db, WebhookDelivery.event == REMINDER)
    assert reminder.status == DeliveryStatus.FAILED


async def test_a_cancelled_appointment_gets_no_reminder(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """Cancelling removes the text reminder: on the day nothing but the two confirmations has
    been sent."""
    await consenting(db, shop)
    appointment_id = await book(db, shop)
    await appointments.cancel(db, shop.business_id, appointment_id, now=NOW)
    for at in (NOW, datetime(2026, 12, 7, 15, 1, tzinfo=UTC), datetime(2026, 12, 8, 14, 0)):
        await deliver(db, http, provider, at.replace(tzinfo=UTC))
    assert len(provider.texts) == 2
    assert not [t for t in provider.texts if "reminder" in t.text]


async def test_no_consent_or_consent_withdrawn_means_no_texts(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient
) -> None:
    """A customer who never agreed gets no text; one who agreed and then withdrew (as STOP
    does) loses the texts queued for them, the reminder included."""
    await book(db, shop)
    await consenting(db, shop)
    await book(db, shop, day=date(2026, 12, 10))
    assert len(await texts(db)) == 2  # the confirmation and the reminder of the second
    await consenting(db, shop, consent=False)
    assert await texts(db) == []
    for at in (NOW, datetime(2026, 12, 9, 15, 1, tzinfo=UTC)):
        await deliver(db, http, provider, at)
    assert provider.texts == []


@pytest.mark.parametrize("failure", ["500", "timeout"])
async def test_a_provider_that_is_down_is_retried_then_the_text_fails(
    db: Database, shop: Shop, provider: StandIn, http: httpx.AsyncClient, failure: str
) -> None:
    """A provider answering 500, or not within the deadline, is tried again with backoff, up to
    the outbox's limit; then the text is failed with each attempt's error kept."""
    if failure == "500":
        provider.status = 500
    else:
        provider.delay = 1.0
    await consenting(db, shop)
    await book(db, shop)
    limits = SendLimits(send_seconds=0.3)
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        await deliver(db, http, provider, at, limits)
        at += timedelta(minutes=30)  # past each backoff, and before the quiet hours
    [text] = await texts(db, WebhookDelivery.event == "appointment.booked")
    assert (text.status, text.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert provider.requests >= MAX_ATTEMPTS and provider.texts == []

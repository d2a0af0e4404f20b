"""A webhook receiver or a calendar server that answers a send with a body that never ends
(gigabytes, or forever): the send is judged by its status alone, at once, and none of the body
is read into memory."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from booking.db import Database
from booking.models import DeliveryStatus
from booking.services.delivery import Due
from booking.services.webhook_channel import post
from tests.calendars.hostile_server import HostileServer
from tests.calendars.writes import attempt_errors, book, calendar_deliveries, connect, send
from tests.factories import Shop


@pytest.fixture
def endless() -> Iterator[HostileServer]:
    with HostileServer.start("endless") as server:
        yield server


async def test_a_webhook_answered_with_an_endless_body_is_delivered(
    endless: HostileServer,
) -> None:
    """A 200 whose body never ends counts as delivered straight away, not as a send that ran
    out of time reading it."""
    due = Due(id=1, business_id=1, channel="webhook", event="message.taken", body=b"{}",
              url=endless.url + "hook", secret="s3cret")  # fmt: skip
    began = time.monotonic()
    async with httpx.AsyncClient(follow_redirects=False) as client:
        outcome = await post(client, due, 5.0, allow_private=True)
    assert (outcome.status_code, outcome.error) == (200, None)
    assert time.monotonic() - began < 2.0


async def test_a_calendar_write_answered_with_an_endless_body_is_delivered(
    db: Database, shop: Shop, endless: HostileServer
) -> None:
    """A calendar server answering the PUT of a booking with 200 and an endless body has the
    write delivered at once."""
    await connect(db, shop, shop.sam, endless.url + "staff/calendars/bookings/")
    await book(db, shop)
    began = time.monotonic()
    assert await send(db) == 1
    assert time.monotonic() - began < 5.0
    [delivery] = await calendar_deliveries(db)
    assert delivery.status == DeliveryStatus.DELIVERED, await attempt_errors(db)

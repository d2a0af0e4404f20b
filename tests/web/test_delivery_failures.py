"""Delivery histories on the owner's page say why a delivery failed in a plain sentence
(cannot connect, timed out, refused with status N, not a calendar) and never show the raw
text the sender stored (an exception's name and message); the API still gives that text."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from booking.db import Database
from booking.models import CalendarConnection
from booking.services import calendar_connections, webhooks
from booking.services.delivery import Outcome
from booking.services.webhook_sender import _record
from booking.web.failures import (
    CANNOT_CONNECT,
    NOT_A_CALENDAR,
    TIMED_OUT,
    UNEXPECTED,
    plain_failure,
    refused,
)
from tests.conftest import NOW
from tests.factories import Shop
from tests.web.conftest import signed_in_client

RAW = [
    ("ConnectError: [Errno 111] Connection refused", None),
    ("ReadTimeout: timed out", None),
    ("receiver answered 503", 503),
    ("KeyError: 'x-secret-header'", None),
]


@pytest.mark.parametrize(
    ("stored", "status", "shown"),
    [
        ("ConnectError: [Errno 111] Connection refused", None, CANNOT_CONNECT),
        ("ConnectionRefusedError: [Errno 111]", None, CANNOT_CONNECT),
        ("ConnectTimeout: timed out", None, TIMED_OUT),
        ("no answer within 10 s", None, TIMED_OUT),
        ("no complete answer within 20 seconds", None, TIMED_OUT),
        ("receiver answered 410", 410, refused(410)),
        ("the server answered 404", None, refused(404)),
        ("the calendar could not be read (ValueError)", None, NOT_A_CALENDAR),
        ("the iCalendar file could not be read (UnicodeDecodeError)", None, NOT_A_CALENDAR),
        ("RuntimeError: boom", None, UNEXPECTED),
        ("the server refused the user name or password", None,
         "the server refused the user name or password"),
        (None, 200, None),
    ],
)  # fmt: skip
def test_a_stored_error_reads_as_a_sentence(
    stored: str | None, status: int | None, shown: str | None
) -> None:
    """Each common stored error maps to its sentence; a sentence the product wrote is kept."""
    assert plain_failure(stored, status) == shown


async def test_webhook_deliveries_show_sentences_not_raw_errors(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A delivery tried four times (refused connection, timeout, 503, an unexpected error)
    shows the four sentences on its page and none of the stored texts, which the API's
    deliveries still return."""
    hook = await webhooks.create_subscription(
        db, shop.business_id, "https://93.184.215.14/hooks", ["message.taken"]
    )
    async with db.write() as session:
        await webhooks.enqueue(session, shop.business_id, "message.taken", {}, now=NOW)
    [delivery] = await webhooks.list_deliveries(db, shop.business_id, hook.id)
    for i, (error, status) in enumerate(RAW):
        at = NOW + timedelta(minutes=i)
        await _record(db, delivery.id, at, at, Outcome(status, error, 12.0))
    client, _ = await signed_in_client(web_client, shop.token)
    shown = (await client.get(f"/admin/setup/webhooks/{hook.id}")).text
    for sentence in (CANNOT_CONNECT, TIMED_OUT, refused(503), UNEXPECTED):
        assert sentence in shown
    for raw in ("ConnectError", "Errno", "ReadTimeout", "receiver answered", "KeyError"):
        assert raw not in shown
    api = await client.get(
        f"/api/webhooks/{hook.id}/deliveries", headers={"Authorization": f"Bearer {shop.token}"}
    )
    assert api.status_code == 200 and "ConnectError: [Errno 111]" in api.text


async def test_a_calendars_last_error_is_a_sentence(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A calendar whose last sync could not parse its feed says the address did not give a
    calendar, without the exception's name."""
    made = await calendar_connections.create_connection(
        db, shop.business_id, shop.sam, now=NOW, allow_private=True,
        kind="ics", url="https://127.0.0.1:8443/sam.ics", name="Google",
    )  # fmt: skip
    async with db.write() as session:  # as the sync's failure records it
        row = await session.get(CalendarConnection, made.id)
        assert row is not None
        row.last_error, row.failures = "the calendar could not be read (ValueError)", 1
    client, _ = await signed_in_client(web_client, shop.token)
    shown = (await client.get(f"/admin/setup/staff/{shop.sam}")).text
    assert NOT_A_CALENDAR in shown and "ValueError" not in shown

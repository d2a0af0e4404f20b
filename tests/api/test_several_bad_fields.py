"""Several bad fields in one request are answered by one 422 that names every one of them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from booking.api.app import create_app
from booking.db import Database
from booking.services import customers
from booking.services.calendar_sync import SyncSettings
from tests.conftest import NOW
from tests.factories import Shop

PROBLEM = "application/problem+json"


@pytest.fixture
async def local_api(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `booking serve` makes it with OUTBOUND_ALLOW_PRIVATE on."""
    app = create_app(
        db,
        clock=lambda: NOW,
        outbound_allow_private=True,
        calendar_sync=SyncSettings(timeout_seconds=2.0, allow_private=True),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def fields_of(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["code"] == "invalid_input"
    return {e["field"] for e in body["errors"]}


async def test_a_new_customer_with_a_bad_email_and_a_bad_phone_is_told_both(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """POST /api/customers with a bad email and a bad phone names both fields; nothing is
    stored."""
    answer = await client.post(
        "/api/customers/",
        json={"phone": "not a phone", "name": "Ada", "email": "not-an-address"},
        headers=auth,
    )
    assert fields_of(answer) == {"phone", "email"}
    assert "phone" in answer.json()["detail"] and "email" in answer.json()["detail"]
    listed = await client.get("/api/customers/", headers=auth)
    assert [c["name"] for c in listed.json()["items"]] == ["Ada"]


async def test_a_customer_change_with_a_bad_email_and_a_bad_phone_is_told_both(
    client: httpx.AsyncClient, auth: dict[str, str], db: Database, shop: Shop
) -> None:
    """PATCH /api/customers/{id} with a bad email, a bad phone and a new name names both bad
    fields and keeps the customer as they were (the good name is not half-written)."""
    before = await customers.get_customer(db, shop.business_id, shop.ada)
    answer = await client.patch(
        f"/api/customers/{shop.ada}",
        json={"phone": "12", "email": "ada at example", "name": "Someone Else"},
        headers=auth,
    )
    assert fields_of(answer) == {"phone", "email"}
    assert await customers.get_customer(db, shop.business_id, shop.ada) == before


async def test_a_caldav_calendar_without_user_name_and_password_is_told_both(
    local_api: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """Connecting a CalDAV calendar with neither user name nor password names both fields;
    no connection is stored."""
    calendars = f"/api/staff/{shop.sam}/calendars"
    answer = await local_api.post(
        calendars, json={"kind": "caldav", "url": "https://dav.example.com/"}, headers=auth
    )
    assert fields_of(answer) == {"username", "password"}
    assert (await local_api.get(calendars, headers=auth)).json() == []


async def test_a_bad_address_is_told_with_the_missing_login(
    local_api: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """A CalDAV calendar at an ftp address with no password names the address and the
    password together."""
    answer = await local_api.post(
        f"/api/staff/{shop.sam}/calendars",
        json={"kind": "caldav", "url": "ftp://dav.example.com/", "username": "sam"},
        headers=auth,
    )
    assert fields_of(answer) == {"url", "password"}


async def test_business_settings_with_two_bad_numbers_are_told_both(
    client: httpx.AsyncClient, auth: dict[str, str], db: Database, shop: Shop
) -> None:
    """PATCH /api/business with a bad transfer number and a bad list of line numbers names
    both fields, and a good name sent with them is not stored."""
    answer = await client.patch(
        "/api/business/",
        json={"name": "Renamed", "transfer_number": "not a phone", "numbers": ["12"]},
        headers=auth,
    )
    assert fields_of(answer) == {"transfer_number", "numbers"}
    settings = await client.get("/api/business/", headers=auth)
    assert settings.json()["name"] != "Renamed"


async def test_weekly_hours_overlapping_on_two_days_are_told_both(
    client: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """PUT /api/staff/{id}/hours with overlapping intervals on Monday and on Tuesday names
    both days, and the hours stay as they were."""
    hours = f"/api/staff/{shop.sam}/hours"
    before = (await client.get(hours, headers=auth)).json()
    overlapping = [
        {"opens_at": "09:00", "closes_at": "12:00"},
        {"opens_at": "11:00", "closes_at": "14:00"},
    ]
    answer = await client.put(
        hours,
        json={"days": [{"weekday": "monday", "intervals": overlapping},
                       {"weekday": "tuesday", "intervals": overlapping}]},
        headers=auth,
    )  # fmt: skip
    assert fields_of(answer) == {"hours.0", "hours.1"}
    assert (await client.get(hours, headers=auth)).json() == before


async def test_a_service_with_a_bad_length_and_a_bad_pause_is_told_both(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """POST /api/services with a too-short duration and a too-long buffer names both fields,
    and no service is added."""
    before = (await client.get("/api/services/", headers=auth)).json()
    answer = await client.post(
        "/api/services/",
        json={"name": "Quick look", "duration_minutes": 1, "buffer_minutes": 999},
        headers=auth,
    )
    assert fields_of(answer) == {"duration_minutes", "buffer_minutes"}
    assert (await client.get("/api/services/", headers=auth)).json() == before


async def test_a_new_customer_with_no_name_and_a_bad_phone_is_told_both(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """POST /api/customers with a blank name and a bad phone names both fields (the blank
    name is not refused alone before the phone is looked at)."""
    answer = await client.post("/api/customers/", json={"phone": "12", "name": "   "}, headers=auth)
    assert fields_of(answer) == {"name", "phone"}


async def test_a_calendar_change_emptying_two_fields_is_told_both(
    local_api: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """PATCH of a connection with a null address and a null on/off switch names both fields,
    and the connection keeps its address."""
    calendars = f"/api/staff/{shop.sam}/calendars"
    made = await local_api.post(
        calendars, json={"kind": "ics", "url": "https://93.184.215.14/a.ics"}, headers=auth
    )
    assert made.status_code == 201, made.text
    connection = f"{calendars}/{made.json()['id']}"
    answer = await local_api.patch(connection, json={"url": None, "active": None}, headers=auth)
    assert fields_of(answer) == {"url", "active"}
    kept = await local_api.get(connection, headers=auth)
    assert kept.json()["active"] is True

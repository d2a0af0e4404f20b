"""Nobody gets in without a live token of the right business; bodies and guesses are capped."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from booking.api.app import create_app
from booking.api.throttle import FailedAuthThrottle
from booking.models import ApiToken, Base
from booking.services import businesses, calls, closures, staff, tokens, webhooks
from tests.conftest import NOW

OPEN_PATHS = ("/api/staff/{staff_id:int}/calendar.ics",)

# Everything business A's data could show itself by, none of which a request below sends.
A_MARKERS = (
    "Test Salon",
    "Sam",
    "Alex",
    "Haircut",
    "Beard trim",
    "Colour",
    "Ada",
    "2345678900",
    "2125550100",
    "2125550199",
    "a-side.example",
    "A staff training",
    "A holiday",
    "ring Ada back",
    "a-spare-key",
    "a secret note",
)
# Foreign requests answer 2xx only about the foreign business, else one of these refusals
# (400 and 422: a request refused by validation, e.g. a missing query parameter, before lookup).
REFUSED = {400, 401, 403, 404, 405, 422}
# Columns pointing at another business's rows: a row and what it points at share an owner.
REFERENCES = {
    "staff_id": "staff",
    "service_id": "services",
    "customer_id": "customers",
    "call_id": "calls",
    "subscription_id": "webhook_subscriptions",
    "delivery_id": "webhook_deliveries",
}
OVERRIDE_DAY = date(2026, 12, 8)


def api_routes(db) -> list[tuple[str, str]]:
    """Every (method, path template) under /api, read from the app itself."""
    app = create_app(db, clock=lambda: NOW)
    found = []
    for route in app.routes:
        if not route.path.startswith("/api") or route.path in OPEN_PATHS:
            continue
        for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
            found.append((method, route.path))
    return found


def concrete(path: str, values: dict[str, object]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(values.get(m.group(1), 1)), path)


async def snapshot(db) -> dict[str, dict[tuple, dict[str, Any]]]:
    """Every row of every table, by table name and primary key."""
    rows: dict[str, dict[tuple, dict[str, Any]]] = {}
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            found = (await session.execute(select(table))).mappings()
            rows[table.name] = {tuple(r[k] for k in keys): dict(r) for r in found}
    return rows


def owner(rows: dict[str, dict[tuple, dict[str, Any]]], table: str, row: dict[str, Any]) -> int:
    """The business a row belongs to, followed through staff, calls and deliveries."""
    if table == "businesses":
        return row["id"]
    if "business_id" in row:
        return row["business_id"]
    for column in ("staff_id", "call_id", "delivery_id"):
        if column in row:
            parent = REFERENCES[column]
            return owner(rows, parent, rows[parent][(row[column],)])
    raise AssertionError(f"no owner for {table}")


def json_leaks(value: Any, foreign_id: int, a_ids: dict[str, set[int]]) -> list[str]:
    """Keys in a JSON answer that point at business A: its id or one of its rows' ids."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "business_id" and item != foreign_id:
                found.append(f"{key}={item}")
            if key in a_ids and item in a_ids[key]:
                found.append(f"{key}={item}")
            if key == "service_ids" and set(item or []) & a_ids["service_id"]:
                found.append(f"{key}={item}")
            found += json_leaks(item, foreign_id, a_ids)
    elif isinstance(value, list):
        for item in value:
            found += json_leaks(item, foreign_id, a_ids)
    return found


async def test_every_api_route_refuses_missing_revoked_and_foreign_tokens(db, shop):
    """Each /api route: no token and a revoked token get 401. Another business's token, sent
    with well-formed requests naming this business and its rows, is refused on every route
    that addresses one of this business's rows; elsewhere it is refused or answered only
    about its own business; and afterwards every row of this business is as it was."""
    app = create_app(db, clock=lambda: NOW)
    app.state.auth_throttle = FailedAuthThrottle(max_failures=100_000)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    mine = {"Authorization": f"Bearer {shop.token}"}
    booked = await client.post(
        "/api/appointments",
        json={
            "business_id": shop.business_id,
            "customer_id": shop.ada,
            "staff_id": shop.sam,
            "service_id": shop.haircut,
            "appointment_date": "2026-12-01",
            "appointment_time": "10:00",
            "notes": "a secret note",
        },
        headers=mine,
    )
    assert booked.status_code == 201, booked.text
    closure = await closures.create_closure(
        db, shop.business_id, date(2026, 12, 24), date(2026, 12, 26), "A holiday"
    )
    await staff.add_override(db, shop.business_id, shop.sam, OVERRIDE_DAY, (), "A staff training")
    hook = await webhooks.create_subscription(
        db, shop.business_id, "https://a-side.example/hook", ["appointment.booked"]
    )
    call_id = await calls.start_call(
        db,
        shop.business_id,
        room_name="a-room",
        caller_number="+12345678900",
        dialled_number="+12125550100",
        customer_id=shop.ada,
        verified=True,
    )
    message = await calls.take_message(
        db,
        shop.business_id,
        body="Please ring Ada back",
        caller_name="Ada",
        callback_number="+12345678900",
        customer_id=shop.ada,
        call_id=call_id,
    )
    spare = await tokens.create_token(db, shop.business_id, "a-spare-key")
    revoked = await tokens.create_token(db, shop.business_id, "old")
    await tokens.revoke_token(db, shop.business_id, revoked.id)
    other = await businesses.create_business(db, name="Other", timezone="UTC", region="GB")
    foreign = {"Authorization": f"Bearer {(await tokens.create_token(db, other.id, 'b')).secret}"}

    a_ids = {
        "staff_id": {shop.sam, shop.alex},
        "service_id": {shop.haircut, shop.trim, shop.colour},
        "customer_id": {shop.ada},
        "appointment_id": {booked.json()["id"]},
        "call_id": {call_id},
        "message_id": {message.id},
    }
    path_values: dict[str, object] = {
        "staff_id": shop.sam,
        "customer_id": shop.ada,
        "service_id": shop.haircut,
        "appointment_id": booked.json()["id"],
        "closure_id": closure.id,
        "webhook_id": hook.id,
        "token_id": spare.id,
        "call_id": call_id,
        "message_id": message.id,
        "on_date": OVERRIDE_DAY.isoformat(),
        "status": "no_show",
    }
    # One body valid for every route's schema (unknown fields are ignored), naming business A
    # and its rows, so that each request gets past validation to the ownership check.
    body = {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff_id": shop.alex,
        "service_id": shop.haircut,
        "service_ids": [shop.haircut, shop.trim],
        "name": "Intruder",
        "phone": "+12125550177",
        "email": "intruder@example.com",
        "notes": "intruder",
        "active": False,
        "duration_minutes": 30,
        "buffer_minutes": 5,
        "appointment_date": "2026-12-02",
        "appointment_time": "11:00",
        "start_date": "2026-12-01",
        "end_date": "2026-12-03",
        "date": "2026-12-09",
        "intervals": [{"opens_at": "09:00", "closes_at": "10:00"}],
        "days": [{"weekday": "monday", "intervals": [{"opens_at": "09:00", "closes_at": "10:00"}]}],
        "starts_on": "2026-12-10",
        "reason": "intruder",
        "url": "https://b-side.example/hook",
        "events": ["appointment.booked", "message.taken"],
        "slot_step_minutes": 30,
    }
    filters = {
        "start_date": "2026-12-01",
        "end_date": "2026-12-03",
        "staff_id": shop.sam,
        "service_id": shop.haircut,
        "customer_id": shop.ada,
        "q": "Ada",
    }
    before = await snapshot(db)
    routes = api_routes(db)
    assert len(routes) >= 25
    for method, template in routes:
        path = concrete(template, path_values)
        bare = await client.request(method, path, json=body)
        assert bare.status_code == 401, (method, path)
        stale = await client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {revoked.secret}"}
        )
        assert stale.status_code == 401, (method, path)
        for params in ({}, filters) if method == "GET" else ({},):
            theirs = await client.request(method, path, json=body, params=params, headers=foreign)
            where = (method, path, params, theirs.status_code, theirs.text[:300])
            for marker in A_MARKERS:
                assert marker not in theirs.text, (marker, *where)
            if "{" in template:
                assert theirs.status_code in REFUSED, where
            else:
                assert theirs.status_code in REFUSED or 200 <= theirs.status_code < 300, where
            if 200 <= theirs.status_code < 300 and theirs.content:
                assert json_leaks(theirs.json(), other.id, a_ids) == [], where
    await client.aclose()

    after = await snapshot(db)
    for table, rows in before.items():
        for key, row in rows.items():
            if owner(before, table, row) != other.id:
                assert after[table].get(key) == row, (table, key)
    for table, rows in after.items():
        for row in rows.values():
            mine_of = owner(after, table, row)
            for column, parent in REFERENCES.items():
                if row.get(column) is not None:
                    target = after[parent][(row[column],)]
                    assert owner(after, parent, target) == mine_of, (table, row)


async def test_tokens_are_stored_only_as_hashes(db, shop):
    """The database never holds a token's secret, only its SHA-256 and a short prefix."""
    issued = await tokens.create_token(db, shop.business_id, "check")
    async with db.read() as session:
        rows = list(await session.scalars(select(ApiToken)))
    for row in rows:
        assert issued.secret not in (row.token_hash, row.prefix, row.name)
    assert any(row.token_hash == tokens.hash_token(issued.secret) for row in rows)


async def test_oversized_body_is_refused(client, shop, auth):
    """A request body over the configured cap gets 413, not a parse of megabytes."""
    huge = {"business_id": shop.business_id, "phone": "1", "name": "x" * 200_000}
    response = await client.post("/api/customers", json=huge, headers=auth)
    assert response.status_code == 413


# The failed-authentication throttle (which never refuses a valid token) is tested in
# tests/api/test_auth_throttle.py, through the real server and its proxy settings.


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when the series has not appeared yet."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_metrics_are_open_and_carry_no_personal_data(client, shop, auth):
    """/metrics answers without a token in Prometheus text; a booking moves the bookings
    counter by one and a refused booking of the same slot the refusals counter by one;
    latency is recorded by route template; no customer's name or phone number appears."""
    first = await client.get("/metrics")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/plain")
    lookup = await client.post(
        "/api/customers/lookup",
        json={"business_id": shop.business_id, "phone": "+12345678900"},
        headers=auth,
    )
    assert lookup.status_code == 200 and lookup.json()["name"] == "Ada"
    booking = {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff_id": shop.sam,
        "appointment_date": "2026-12-01",
        "appointment_time": "10:00",
        "duration_minutes": 30,
    }
    booked = await client.post("/api/appointments", json=booking, headers=auth)
    assert booked.status_code == 201, booked.text
    refused = await client.post("/api/appointments", json=booking, headers=auth)
    assert refused.status_code == 409, refused.text
    second = await client.get("/metrics")
    assert second.status_code == 200
    before, after = first.text, second.text
    bookings = ("booking_bookings_total", {"source": "api"})
    refusals = ("booking_refusals_total", {"source": "api", "reason": "slot_unavailable"})
    for name, labels in (bookings, refusals):
        assert sample(after, name, **labels) == sample(before, name, **labels) + 1, name
    for name in ["booking_calls_in_progress", "booking_tool_latency_seconds"]:
        assert name in after, name
    lookups = {"path": "/api/customers/lookup", "method": "POST"}
    assert sample(after, "booking_request_duration_seconds_count", **lookups) >= 1
    for personal in ("2345678900", "Ada"):
        assert personal not in after, personal

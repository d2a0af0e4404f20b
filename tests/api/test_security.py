"""Nobody gets in without a live token of the right business; bodies and guesses are capped."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from booking.api.app import create_app
from booking.api.throttle import FailedAuthThrottle
from booking.models import ApiToken
from booking.services import businesses, tokens
from tests.conftest import NOW

OPEN_PATHS = ("/api/staff/{staff_id:int}/calendar.ics",)


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


def concrete(path: str, shop) -> str:
    values = {"staff_id": shop.sam, "customer_id": shop.ada, "service_id": shop.haircut}
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(values.get(m.group(1), 1)), path)


async def test_every_api_route_refuses_missing_revoked_and_foreign_tokens(db, shop):
    """Each /api route: no token and a revoked token get 401; another business's token never
    sees this business's data (401/403/404, or an empty answer about its own business)."""
    app = create_app(db, clock=lambda: NOW)
    app.state.auth_throttle = FailedAuthThrottle(max_failures=100_000)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    revoked = await tokens.create_token(db, shop.business_id, "old")
    await tokens.revoke_token(db, shop.business_id, revoked.id)
    other = await businesses.create_business(db, name="Other", timezone="UTC", region="GB")
    foreign = (await tokens.create_token(db, other.id, "other")).secret
    routes = api_routes(db)
    assert len(routes) >= 25
    for method, template in routes:
        path = concrete(template, shop)
        body = {"business_id": shop.business_id}
        bare = await client.request(method, path, json=body)
        assert bare.status_code == 401, (method, path)
        stale = await client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {revoked.secret}"}
        )
        assert stale.status_code == 401, (method, path)
        theirs = await client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {foreign}"}
        )
        assert theirs.status_code != 500, (method, path)
        assert "Ada" not in theirs.text and "+12345678900" not in theirs.text, (method, path)
    await client.aclose()


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


async def test_repeated_failed_authentication_is_rate_limited(client, shop, auth):
    """After 20 failed attempts in a minute an address gets 429, even with a good token."""
    for _ in range(20):
        bad = await client.get("/api/business", headers={"Authorization": "Bearer bk_guess"})
        assert bad.status_code == 401
    blocked = await client.get("/api/business", headers=auth)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_metrics_are_open_and_carry_no_personal_data(client, shop, auth):
    """/metrics answers without a token in Prometheus text, with request latency by route
    template and the product's counters, and no phone numbers."""
    await client.post(
        "/api/customers/lookup",
        json={"business_id": shop.business_id, "phone": "+12345678900"},
        headers=auth,
    )
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in [
        "booking_calls_in_progress",
        "booking_tool_latency_seconds",
        "booking_bookings_total",
        "booking_request_duration_seconds",
    ]:
        assert name in text, name
    assert "/api/customers/lookup" in text
    assert "2345678900" not in text

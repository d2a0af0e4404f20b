"""Token roles: only an owner token manages tokens, webhooks and the business's settings; a
staff token does the front desk's work; the last owner token cannot be revoked."""

from __future__ import annotations

import re

import pytest

from booking.api.app import create_app
from booking.services import closures, tokens, webhooks
from tests.api.test_security import snapshot
from tests.conftest import NOW

PROBLEM = "application/problem+json"
OWNER_ONLY_PREFIXES = ("/api/tokens", "/api/admin-sessions", "/api/webhooks")
SETTINGS_WRITES = {
    ("PATCH", "/api/business"),
    ("POST", "/api/business/closures"),
    ("DELETE", "/api/business/closures/{closure_id:int}"),
}
BODY = {
    "name": "intruder",
    "role": "owner",
    "url": "https://b-side.example/hook",
    "events": ["appointment.booked"],
    "starts_on": "2026-12-24",
    "reason": "intruder",
    "slot_step_minutes": 30,
}


def owner_only_routes(db) -> list[tuple[str, str]]:
    """Every token, web-session and webhook route, read from the app, and the business-settings
    writes."""
    found = []
    for route in create_app(db, clock=lambda: NOW).routes:
        methods = sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"})
        for method in methods:
            if (
                route.path.startswith(OWNER_ONLY_PREFIXES)
                or (method, route.path) in SETTINGS_WRITES
            ):
                found.append((method, route.path))
    return found


async def issue(client, auth, name: str, role: str | None = None) -> dict:
    body = {"name": name} if role is None else {"name": name, "role": role}
    response = await client.post("/api/tokens", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def bearer(issued: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {issued['secret']}"}


async def test_staff_token_is_refused_every_owner_route(client, db, shop, auth):
    """A staff token gets 403 with a problem body naming the owner role on every token,
    web-session and webhook route and on each change of the business's settings; nothing
    changes."""
    staff = bearer(await issue(client, auth, "front desk", "staff"))
    closure = await closures.create_closure(db, shop.business_id, NOW.date(), NOW.date(), "x")
    hook = await webhooks.create_subscription(
        db, shop.business_id, "https://a-side.example/hook", ["appointment.booked"]
    )
    (own, _) = await tokens.list_tokens(db, shop.business_id)
    ids = {"token_id": own.id, "webhook_id": hook.id, "closure_id": closure.id}
    routes = owner_only_routes(db)
    assert len(routes) == 12, routes
    before = await snapshot(db)
    for method, template in routes:
        path = re.sub(r"\{(\w+):\w+\}", lambda m: str(ids[m.group(1)]), template)
        refused = await client.request(method, path, json=BODY, headers=staff)
        where = (method, path, refused.text)
        assert refused.status_code == 403, where
        assert refused.headers["content-type"].startswith(PROBLEM), where
        problem = refused.json()
        assert problem["status"] == 403 and problem["code"] == "owner_required", where
        assert "owner token" in problem["detail"], where
    assert await snapshot(db) == before


def fields(body: dict[str, object], *names: str) -> dict[str, object]:
    """Only the fields a route takes: bodies refuse the others."""
    return {name: body[name] for name in names}


async def test_owner_token_manages_tokens_webhooks_and_settings(client, db, shop, auth):
    """The owner token issues and revokes tokens, subscribes and removes webhooks, changes
    settings and closures: each answers its success status."""
    spare = await issue(client, auth, "spare", "staff")
    assert (await client.get("/api/tokens", headers=auth)).status_code == 200
    assert (await client.delete(f"/api/tokens/{spare['id']}", headers=auth)).status_code == 204
    hook = await client.post("/api/webhooks", json=fields(BODY, "url", "events"), headers=auth)
    assert hook.status_code == 201, hook.text
    hook_id = hook.json()["id"]
    assert (await client.get("/api/webhooks", headers=auth)).status_code == 200
    deliveries = await client.get(f"/api/webhooks/{hook_id}/deliveries", headers=auth)
    assert deliveries.status_code == 200
    assert (await client.delete(f"/api/webhooks/{hook_id}", headers=auth)).status_code == 204
    patched = await client.patch("/api/business", json={"slot_step_minutes": 30}, headers=auth)
    assert patched.status_code == 200 and patched.json()["slot_step_minutes"] == 30
    closure = fields(BODY, "starts_on", "reason")
    closed = await client.post("/api/business/closures", json=closure, headers=auth)
    assert closed.status_code == 201, closed.text
    reopened = await client.delete(f"/api/business/closures/{closed.json()['id']}", headers=auth)
    assert reopened.status_code == 204


async def test_staff_token_does_the_front_desks_work(client, shop, auth):
    """A staff token reads the settings and closures and works with customers and
    appointments as before."""
    staff = bearer(await issue(client, auth, "front desk", "staff"))
    assert (await client.get("/api/business", headers=staff)).status_code == 200
    assert (await client.get("/api/business/closures", headers=staff)).status_code == 200
    assert (await client.get("/api/customers", headers=staff)).status_code == 200
    booked = await client.post(
        "/api/appointments",
        json={
            "business_id": shop.business_id,
            "customer_id": shop.ada,
            "staff_id": shop.sam,
            "appointment_date": "2026-12-01",
            "appointment_time": "10:00",
        },
        headers=staff,
    )
    assert booked.status_code == 201, booked.text


async def test_new_tokens_are_staff_unless_owner_is_asked_for(client, shop, auth):
    """A token issued without a role is staff; `role: owner` makes an owner; any other role
    is 422 naming `role`."""
    assert (await issue(client, auth, "desk"))["role"] == "staff"
    assert (await issue(client, auth, "partner", "owner"))["role"] == "owner"
    bad = await client.post("/api/tokens", json={"name": "x", "role": "admin"}, headers=auth)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["role"]


async def test_token_list_shows_role_and_who_created_each(client, shop, auth):
    """The list shows each token's role and created_by (the creating token's id and name);
    a token made outside the API (the CLI, the demo) has created_by null."""
    partner = await issue(client, auth, "partner", "owner")
    desk = await issue(client, bearer(partner), "desk", "staff")
    listed = {t["name"]: t for t in (await client.get("/api/tokens", headers=auth)).json()}
    assert listed["test"]["role"] == "owner" and listed["test"]["created_by"] is None
    first = listed["test"]["id"]
    assert listed["partner"]["created_by"] == {"id": first, "name": "test"}
    assert listed["desk"]["role"] == "staff"
    assert listed["desk"]["created_by"] == {"id": partner["id"], "name": "partner"}
    assert desk["created_by"] == {"id": partner["id"], "name": "partner"}


async def test_the_last_owner_token_cannot_be_revoked(client, db, shop, auth):
    """Revoking the only live owner token is 409 with a problem body saying why and how to
    recover; with a second owner it can go, and then the second is the one that cannot."""
    (own,) = await tokens.list_tokens(db, shop.business_id)
    await issue(client, auth, "desk", "staff")  # a staff token does not count as an owner
    refused = await client.delete(f"/api/tokens/{own.id}", headers=auth)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith(PROBLEM)
    problem = refused.json()
    assert problem["code"] == "last_owner_token"
    assert "last owner token" in problem["detail"]
    assert "booking create-token --role owner" in problem["detail"]
    assert (await client.get("/api/tokens", headers=auth)).status_code == 200

    partner = bearer(await issue(client, auth, "partner", "owner"))
    assert (await client.delete(f"/api/tokens/{own.id}", headers=partner)).status_code == 204
    assert (await client.get("/api/tokens", headers=auth)).status_code == 401
    listed = {t["name"]: t for t in (await client.get("/api/tokens", headers=partner)).json()}
    again = await client.delete(f"/api/tokens/{listed['partner']['id']}", headers=partner)
    assert again.status_code == 409
    assert again.json()["code"] == "last_owner_token"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_openapi_documents_the_owner_only_403(client, shop):
    """The OpenAPI document lists the 403 problem on owner-only routes and not on others."""
    document = (await client.get("/schema/openapi.json")).json()
    assert "403" in document["paths"]["/api/tokens"]["post"]["responses"]
    assert "403" in document["paths"]["/api/webhooks"]["get"]["responses"]
    assert "403" in document["paths"]["/api/business"]["patch"]["responses"]
    assert "403" not in document["paths"]["/api/business"]["get"]["responses"]

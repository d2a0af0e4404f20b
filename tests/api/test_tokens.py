"""Admin tokens over HTTP: issued with the secret shown once, listed without it, revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.models import ApiToken
from booking.services import tokens
from tests.factories import make_shop

PROBLEM = "application/problem+json"


async def stored_token(db, token_id: int) -> ApiToken:
    async with db.read() as session:
        row = await session.get(ApiToken, token_id)
        assert row is not None
        return row


async def test_issued_token_shows_its_secret_once_and_works(client, db, shop, auth):
    """POST answers 201 with the secret, a staff role by default and the issuing token as
    created_by; only its hash is stored, and it opens the API."""
    issued = await client.post("/api/tokens", json={"name": "  front desk  "}, headers=auth)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    secret = body["secret"]
    assert secret.startswith("bk_")
    assert body["name"] == "front desk"
    assert body["prefix"] == secret[:8]
    assert body["revoked_at"] is None
    assert body["role"] == "staff"
    assert body["created_by"]["name"] == "test"
    row = await stored_token(db, body["id"])
    assert row.business_id == shop.business_id
    assert row.token_hash == tokens.hash_token(secret) != secret
    works = await client.get("/api/business", headers={"Authorization": f"Bearer {secret}"})
    assert works.status_code == 200


async def test_list_never_shows_a_secret(client, shop, auth):
    """GET lists id, name, prefix, role, creator and times of every token, and no secret."""
    issued = (await client.post("/api/tokens", json={"name": "laptop"}, headers=auth)).json()
    listed = await client.get("/api/tokens", headers=auth)
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["test", "laptop"]
    keys = {"id", "name", "prefix", "role", "created_at", "created_by", "revoked_at"}
    assert all(set(t) == keys for t in listed.json())
    assert issued["secret"] not in listed.text
    assert shop.token not in listed.text


@pytest.mark.parametrize("body", [{"name": "   "}, {}, {"name": "x" * 201}])
async def test_token_needs_a_name(client, db, shop, auth, body):
    """A missing, blank or overlong name is 422 naming `name`, and no token is stored."""
    response = await client.post("/api/tokens", json=body, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    async with db.read() as session:
        assert len((await session.scalars(select(ApiToken))).all()) == 1


async def test_revoked_token_is_refused_at_once(client, db, shop, auth):
    """DELETE revokes: the token gets 401 on its next request; revoking again changes nothing."""
    issued = (await client.post("/api/tokens", json={"name": "temp"}, headers=auth)).json()
    theirs = {"Authorization": f"Bearer {issued['secret']}"}
    assert (await client.get("/api/business", headers=theirs)).status_code == 200
    revoked = await client.delete(f"/api/tokens/{issued['id']}", headers=auth)
    assert revoked.status_code == 204
    refused = await client.get("/api/business", headers=theirs)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith(PROBLEM)
    first_revoked_at = (await stored_token(db, issued["id"])).revoked_at
    assert first_revoked_at is not None
    again = await client.delete(f"/api/tokens/{issued['id']}", headers=auth)
    assert again.status_code == 204
    assert (await stored_token(db, issued["id"])).revoked_at == first_revoked_at
    listed = {t["id"]: t for t in (await client.get("/api/tokens", headers=auth)).json()}
    assert listed[issued["id"]]["revoked_at"] is not None


async def test_tokens_of_another_business_are_invisible(client, db, shop, auth):
    """Another business's token id is 404 to revoke and absent from the list; it keeps working."""
    other = await make_shop(db, name="Other Salon", number="+12125550111")
    other_row = (await tokens.list_tokens(db, other.business_id))[0]
    response = await client.delete(f"/api/tokens/{other_row.id}", headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "not_found"
    assert (await stored_token(db, other_row.id)).revoked_at is None
    assert await tokens.authenticate(db, other.token) == other.business_id
    listed = (await client.get("/api/tokens", headers=auth)).json()
    assert other_row.id not in [t["id"] for t in listed]
    assert (await client.delete("/api/tokens/999999", headers=auth)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/tokens"), ("POST", "/api/tokens"), ("DELETE", "/api/tokens/{id}")],
)
async def test_token_routes_need_a_token(client, db, shop, method, path):
    """Without a bearer token the token routes answer 401 and change nothing."""
    (own,) = await tokens.list_tokens(db, shop.business_id)
    response = await client.request(method, path.format(id=own.id), json={"name": "sneaky"})
    assert response.status_code == 401
    assert await tokens.list_tokens(db, shop.business_id) == [own]

"""Email consent on customers and the reminder lead time on the business, through the admin
API: set, read back, and refused naming the field."""

from __future__ import annotations

import httpx

from tests.factories import Shop


async def test_reminder_minutes_is_set_and_a_bad_value_names_the_field(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """reminder_minutes defaults to a day, can be changed or set to 0 (off); a negative, too
    large or non-number value is 422 naming reminder_minutes."""
    read = await client.get("/api/business", headers=auth)
    assert read.json()["reminder_minutes"] == 1440
    for value in (120, 0):
        changed = await client.patch(
            "/api/business", json={"reminder_minutes": value}, headers=auth
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["reminder_minutes"] == value
    for bad in (-1, 14 * 24 * 60 + 1, "a day"):
        refused = await client.patch("/api/business", json={"reminder_minutes": bad}, headers=auth)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "reminder_minutes"


async def test_email_consent_is_set_on_create_and_patch_and_must_be_true_or_false(
    client: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """A customer is created with or without consent (without by default, as the seed's body
    has no such field), consent changes through PATCH, and anything but true or false is 422
    naming email_consent."""
    seed = await client.post(
        "/api/customers", json={"phone": "+12125550111", "name": "Seed Body"}, headers=auth
    )
    assert seed.status_code == 201, seed.text
    assert seed.json()["email_consent"] is False
    created = await client.post(
        "/api/customers",
        json={
            "phone": "+12125550112",
            "name": "Grace",
            "email": "grace@example.com",
            "email_consent": True,
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    assert created.json()["email_consent"] is True
    customer_id = created.json()["id"]
    withdrawn = await client.patch(
        f"/api/customers/{customer_id}", json={"email_consent": False}, headers=auth
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["email_consent"] is False
    for bad in ("maybe", 2, [True]):
        refused = await client.patch(
            f"/api/customers/{customer_id}", json={"email_consent": bad}, headers=auth
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "email_consent"
    refused = await client.post(
        "/api/customers",
        json={"phone": "+12125550113", "name": "Al", "email_consent": "maybe"},
        headers=auth,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "email_consent"

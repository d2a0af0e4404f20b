"""The business's profile, FAQ and prices through the admin API, validated field by field."""

from __future__ import annotations


async def test_profile_read_and_change(client, shop, auth):
    """The profile starts empty; a PUT changes only the fields given, tidied to one line."""
    empty = await client.get("/api/business/profile", headers=auth)
    assert empty.json() == {"address": "", "description": "", "directions": ""}
    changed = await client.put(
        "/api/business/profile",
        json={"address": "12 Elm Street,\n   Springfield", "directions": "Parking behind"},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["address"] == "12 Elm Street, Springfield"
    assert changed.json()["directions"] == "Parking behind"
    too_long = await client.put(
        "/api/business/profile", json={"description": "x" * 1001}, headers=auth
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "description"


async def test_faq_added_changed_and_removed(client, shop, auth):
    """FAQ entries are added, listed, changed and removed; an empty answer names the field;
    another business's entry is not found."""
    added = await client.post(
        "/api/business/faq",
        json={"question": "Can I park?", "answer": "Yes, behind the shop."},
        headers=auth,
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert (await client.get("/api/business/faq", headers=auth)).json() == [entry]
    changed = await client.put(
        f"/api/business/faq/{entry['id']}",
        json={"question": "Can I park?", "answer": "Free, behind the shop."},
        headers=auth,
    )
    assert changed.json()["answer"] == "Free, behind the shop."
    empty = await client.post(
        "/api/business/faq", json={"question": "Cards?", "answer": ""}, headers=auth
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "answer"
    removed = await client.delete(f"/api/business/faq/{entry['id']}", headers=auth)
    assert removed.status_code == 204
    missing = await client.delete(f"/api/business/faq/{entry['id']}", headers=auth)
    assert missing.status_code == 404


async def test_service_prices_are_validated(client, shop, auth):
    """A service's price is minor units with an ISO 4217 currency, given together; a bad
    currency or a price without one is 422 naming the field."""
    priced = await client.post(
        "/api/services",
        json={"name": "Shave", "duration_minutes": 20, "price_minor": 1550, "currency": "gbp"},
        headers=auth,
    )
    assert priced.status_code == 201, priced.text
    assert (priced.json()["price_minor"], priced.json()["currency"]) == (1550, "GBP")
    bad = await client.post(
        "/api/services",
        json={"name": "Wax", "duration_minutes": 20, "price_minor": 900, "currency": "E1"},
        headers=auth,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "currency"
    alone = await client.patch(
        f"/api/services/{shop.trim}", json={"price_minor": 900}, headers=auth
    )
    assert alone.status_code == 422 and alone.json()["errors"][0]["field"] == "currency"

"""The Customers pages over plain HTTP: search, history, edit with errors beside their fields,
erasure only after the confirmation step, and another business's customer."""

from __future__ import annotations

from datetime import timedelta

import httpx

from booking.db import Database
from booking.models import Call, Customer
from booking.services import customers
from tests.conftest import NOW
from tests.factories import Shop, make_shop
from tests.web.conftest import signed_in_client
from tests.web.pages_seed import recorded_call


async def test_search_finds_customers_by_name_or_phone_in_any_format(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Part of a name, or the number written another way, finds the customer."""
    await customers.create_customer(db, shop.business_id, phone="+12125550147", name="Grace")
    client, _ = await signed_in_client(web_client, shop.token)
    by_name = await client.get("/admin/customers", params={"q": "grac"})
    assert "Grace" in by_name.text and ">Ada<" not in by_name.text
    by_phone = await client.get("/admin/customers", params={"q": "(234) 567-8900"})
    assert ">Ada<" in by_phone.text and "Grace" not in by_phone.text


async def test_a_customers_history_lists_appointments_and_calls(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Ada's page lists the appointment her call booked and the call itself."""
    call_id, booked = await recorded_call(db, shop, NOW - timedelta(minutes=30))
    assert booked is not None
    client, _ = await signed_in_client(web_client, shop.token)
    page = await client.get(f"/admin/customers/{shop.ada}")
    assert f"/admin/appointments/{booked.id}" in page.text
    assert f"/admin/calls/{call_id}" in page.text


async def test_editing_a_customer_saves_through_the_api_rules(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A good edit is stored (phone normalised, consent given); a bad email and a taken
    phone are shown next to their fields with 422 and change nothing."""
    await customers.create_customer(db, shop.business_id, phone="+12125550147", name="Grace")
    client, csrf = await signed_in_client(web_client, shop.token)
    base = {"_csrf_token": csrf, "name": "Ada Lovelace", "notes": "", "email": ""}
    refused = await client.post(
        f"/admin/customers/{shop.ada}/edit",
        data={**base, "phone": "212 555 0147", "email": "not-an-address"},
    )
    assert refused.status_code == 422
    assert 'id="e-email">is not an email address' in refused.text
    taken = await client.post(
        f"/admin/customers/{shop.ada}/edit", data={**base, "phone": "212 555 0147"}
    )
    assert taken.status_code == 422
    assert 'id="e-phone">another customer, Grace, has this number' in taken.text
    saved = await client.post(
        f"/admin/customers/{shop.ada}/edit",
        data={**base, "phone": "(212) 555-0188", "email": "ada@example.com",
              "email_consent": "yes"},
    )  # fmt: skip
    assert saved.status_code == 303
    stored = await customers.get_customer(db, shop.business_id, shop.ada)
    assert (stored.name, stored.phone, stored.email) == (
        "Ada Lovelace", "+12125550188", "ada@example.com"
    )  # fmt: skip
    assert stored.email_consent is True and stored.sms_consent is False


async def test_erasing_needs_the_confirmation_step(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A post without the confirmation page's field shows that page and erases nothing; the
    confirmed post erases the customer and the transcripts of their calls."""
    call_id, _ = await recorded_call(db, shop, NOW - timedelta(minutes=30))
    client, csrf = await signed_in_client(web_client, shop.token)
    unconfirmed = await client.post(
        f"/admin/customers/{shop.ada}/erase", data={"_csrf_token": csrf}
    )
    assert unconfirmed.status_code == 200 and "Erase Ada?" in unconfirmed.text
    async with db.read() as session:
        assert await session.get(Customer, shop.ada) is not None
    confirmed = await client.post(
        f"/admin/customers/{shop.ada}/erase", data={"_csrf_token": csrf, "confirm": "erase"}
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/admin/customers?erased=1"
    async with db.read() as session:
        assert await session.get(Customer, shop.ada) is None
        call = await session.get(Call, call_id)
        assert call is not None and call.transcript == [] and call.caller_number is None
    assert (await client.get(f"/admin/customers/{shop.ada}")).status_code == 404


async def test_another_business_customer_is_not_found(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Another business's customer cannot be read, edited or erased: each answers 404."""
    other = await make_shop(db, name="Other Salon", number="+12125550999")
    client, csrf = await signed_in_client(web_client, shop.token)
    assert (await client.get(f"/admin/customers/{other.ada}")).status_code == 404
    edit = await client.post(
        f"/admin/customers/{other.ada}/edit",
        data={"_csrf_token": csrf, "name": "Mallory", "phone": "+12345678900"},
    )
    assert edit.status_code == 404
    erase = await client.post(
        f"/admin/customers/{other.ada}/erase", data={"_csrf_token": csrf, "confirm": "erase"}
    )
    assert erase.status_code == 404
    assert (await customers.get_customer(db, other.business_id, other.ada)).name == "Ada"

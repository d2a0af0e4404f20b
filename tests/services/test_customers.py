"""Customers: one per phone number (E.164, per business), whatever format the number comes in."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from booking.db import Database
from booking.errors import DuplicateCustomer, InvalidInput, NotFound
from booking.services import customers
from booking.services.customers import CustomerInfo
from tests.factories import make_shop

ADA_FORMATS = ["+1 (234) 567-8900", "234-567-8900", "sip_+12345678900", "+12345678900"]
GARBAGE = ["not a number", "12", "", "   ", "+1 (000) 000-0000", "sip_", "9" * 41]


async def _count(db: Database, sql: str = "SELECT count(*) FROM customers") -> int:
    async with db.read() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def test_every_common_format_finds_the_same_customer(db, shop):
    """'+1 (234) 567-8900', '234-567-8900' and 'sip_+12345678900' all find Ada; a valid number
    not on file finds nobody."""
    for phone in ADA_FORMATS:
        found = await customers.find_by_phone(db, shop.business_id, phone)
        assert found is not None, phone
        assert found.id == shop.ada
        assert found.phone == "+12345678900"
    assert await customers.find_by_phone(db, shop.business_id, "+14155552671") is None


async def test_garbage_phone_is_invalid_input_naming_phone(db, shop):
    """A phone that is not a valid number is InvalidInput on the field 'phone', when looking up
    and when creating; nothing is stored."""
    for phone in GARBAGE:
        with pytest.raises(InvalidInput) as lookup:
            await customers.find_by_phone(db, shop.business_id, phone)
        assert lookup.value.field == "phone", phone
        with pytest.raises(InvalidInput) as create:
            await customers.create_customer(db, shop.business_id, phone=phone, name="Eve")
        assert create.value.field == "phone", phone

    assert await _count(db) == 1


async def test_create_stores_e164_and_the_cleaned_name(db, shop):
    """A new customer is stored with the number in E.164 and the name's spacing tidied."""
    created = await customers.create_customer(
        db, shop.business_id, phone="(415) 555-2671", name="  Grace   Hopper ", email="g@x.org"
    )

    assert created.phone == "+14155552671"
    assert created.name == "Grace Hopper"
    stored = await customers.get_customer(db, shop.business_id, created.id)
    assert stored == created


async def test_duplicate_create_is_refused_in_any_format(db, shop):
    """Creating a customer whose number is already on file, in any format, raises
    DuplicateCustomer naming the existing customer; no second row is stored."""
    for phone in ADA_FORMATS:
        with pytest.raises(DuplicateCustomer) as duplicate:
            await customers.create_customer(db, shop.business_id, phone=phone, name="Ada again")
        assert duplicate.value.customer_id == shop.ada

    assert await _count(db) == 1


async def test_concurrent_creates_of_one_number_store_one_customer(db, shop):
    """Ten creates of one new number at once (in different formats): one customer is stored, the
    other nine get DuplicateCustomer naming it."""
    formats = [
        "+1 (415) 555-2671",
        "415-555-2671",
        "sip_+14155552671",
        "+14155552671",
        "4155552671",
    ]
    results = await asyncio.gather(
        *(
            customers.create_customer(db, shop.business_id, phone=formats[i % 5], name=f"G{i}")
            for i in range(10)
        ),
        return_exceptions=True,
    )

    created = [r for r in results if isinstance(r, CustomerInfo)]
    refused = [r for r in results if not isinstance(r, CustomerInfo)]
    assert len(created) == 1
    assert [type(e) for e in refused] == [DuplicateCustomer] * 9
    assert {e.customer_id for e in refused if isinstance(e, DuplicateCustomer)} == {created[0].id}
    assert await _count(db) == 2


async def test_the_same_number_is_a_different_customer_in_another_business(db, shop):
    """Customers belong to a business: Ada's number in another business is another customer, and
    each business finds its own."""
    other = await make_shop(db, name="Other Salon", number="+12125550199")

    here = await customers.find_by_phone(db, shop.business_id, "234-567-8900")
    there = await customers.find_by_phone(db, other.business_id, "234-567-8900")

    assert here is not None and there is not None
    assert (here.id, there.id) == (shop.ada, other.ada)
    assert here.id != there.id
    with pytest.raises(NotFound):
        await customers.get_customer(db, shop.business_id, other.ada)


async def test_update_changes_the_given_fields(db, shop):
    """Updating name, email, notes and phone stores them; the new number finds the customer and
    the old one finds nobody; a later update of the name alone leaves the rest as it was."""
    updated = await customers.update_customer(
        db,
        shop.business_id,
        shop.ada,
        name="Ada Lovelace",
        email="ada@example.org",
        notes="prefers mornings",
        phone="sip_+14155552671",
    )

    assert (updated.name, updated.email, updated.notes, updated.phone) == (
        "Ada Lovelace",
        "ada@example.org",
        "prefers mornings",
        "+14155552671",
    )
    assert await customers.get_customer(db, shop.business_id, shop.ada) == updated
    found = await customers.find_by_phone(db, shop.business_id, "415-555-2671")
    assert found is not None and found.id == shop.ada
    assert await customers.find_by_phone(db, shop.business_id, "+12345678900") is None

    renamed = await customers.update_customer(db, shop.business_id, shop.ada, name="Ada L")
    assert renamed == CustomerInfo(**{**updated.__dict__, "name": "Ada L"})


async def test_update_refuses_bad_values_and_changes_nothing(db, shop):
    """A taken number is DuplicateCustomer; a bad email, empty name or garbage phone is
    InvalidInput naming the field; an unknown id is NotFound; the record is unchanged."""
    bob = await customers.create_customer(db, shop.business_id, phone="+14155552671", name="Bob")

    with pytest.raises(DuplicateCustomer) as taken:
        await customers.update_customer(db, shop.business_id, bob.id, phone="234-567-8900")
    assert taken.value.customer_id == shop.ada
    for field, value in [("email", "not-an-email"), ("name", "   "), ("phone", "12")]:
        with pytest.raises(InvalidInput) as invalid:
            await customers.update_customer(db, shop.business_id, bob.id, **{field: value})
        assert invalid.value.field == field
    with pytest.raises(NotFound):
        await customers.update_customer(db, shop.business_id, 999_999, name="Nobody")

    assert await customers.get_customer(db, shop.business_id, bob.id) == bob


async def test_concurrent_updates_to_one_number_keep_numbers_unique(db, shop):
    """Two customers changed to the same new number at once: one gets it, the other is refused
    with DuplicateCustomer (never a raw database error) and keeps their number."""
    bob = await customers.create_customer(db, shop.business_id, phone="+14155552671", name="Bob")
    new_number = "+12125551234"

    results = await asyncio.gather(
        *(
            customers.update_customer(db, shop.business_id, cid, phone=new_number)
            for cid in (shop.ada, bob.id)
        ),
        return_exceptions=True,
    )

    updated = [r for r in results if isinstance(r, CustomerInfo)]
    refused = [r for r in results if not isinstance(r, CustomerInfo)]
    assert len(updated) == 1
    assert [type(e) for e in refused] == [DuplicateCustomer]
    phones = await customers.find_by_phone(db, shop.business_id, new_number)
    assert phones is not None and phones.id == updated[0].id

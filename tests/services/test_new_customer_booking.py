"""A booking for a new customer is one transaction: the customer and the appointment are made
together or not at all; a number already on file is refused, except for a repeat of the same
request with the same key, which answers as the first did."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from booking.db import Database
from booking.errors import DuplicateCustomer, OutsideHours, SlotUnavailable
from booking.models import Customer, IdempotencyRecord
from booking.services import customers
from booking.services.appointment_queries import list_appointments
from booking.services.appointments import BookingRequest, book
from booking.services.new_customer_booking import NewCustomer, book_new_customer
from tests.conftest import NOW
from tests.factories import Shop

TUESDAY = date(2026, 12, 1)
GRACE = NewCustomer("(212) 555-0142", "Grace Hopper", "grace@example.com")


def at(shop: Shop, when: time) -> BookingRequest:
    """Sam's haircut on Tuesday at `when`; the customer is the new one's."""
    return BookingRequest(shop.business_id, 0, TUESDAY, when, shop.sam, shop.haircut)


async def count(db: Database, model: type) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_customer_and_the_booking_are_made_together(db: Database, shop: Shop) -> None:
    """The new customer is stored with their number in E.164, and the appointment is theirs."""
    made, booked = await book_new_customer(db, GRACE, at(shop, time(9)), now=NOW)
    assert made.phone == "+12125550142" and made.name == "Grace Hopper"
    assert booked.customer_id == made.id
    found = await customers.find_by_phone(db, shop.business_id, "212-555-0142")
    assert found is not None and found.email == "grace@example.com"
    listed = await list_appointments(db, shop.business_id, customer_id=made.id)
    assert [a.id for a in listed.items] == [booked.id]


@pytest.mark.parametrize(
    ("when", "refusal"), [(time(10), SlotUnavailable), (time(7), OutsideHours)]
)
async def test_a_refused_time_leaves_no_customer_behind(
    db: Database, shop: Shop, when: time, refusal: type[Exception]
) -> None:
    """A time someone else holds, or one outside working hours, is refused and nothing of
    the new customer (nor the key's record) is stored."""
    await book(
        db, BookingRequest(shop.business_id, shop.ada, TUESDAY, time(10), shop.sam, shop.haircut),
        now=NOW,
    )  # fmt: skip
    customers_before = await count(db, Customer)
    with pytest.raises(refusal):
        await book_new_customer(db, GRACE, at(shop, when), idempotency_key="key-1", now=NOW)
    assert await customers.find_by_phone(db, shop.business_id, GRACE.phone) is None
    assert await count(db, Customer) == customers_before
    assert await count(db, IdempotencyRecord) == 0


async def test_a_number_on_file_is_refused_and_nothing_booked(db: Database, shop: Shop) -> None:
    """Ada's number in another format names Ada, and no appointment is made."""
    with pytest.raises(DuplicateCustomer) as refused:
        await book_new_customer(
            db, NewCustomer("234-567-8900", "Someone Else"), at(shop, time(9)), now=NOW
        )
    assert refused.value.customer_id == shop.ada
    assert (await list_appointments(db, shop.business_id)).total == 0


async def test_a_repeat_with_the_same_key_books_once(db: Database, shop: Shop) -> None:
    """Sent twice with one key (a double submit), it answers the same appointment and
    customer twice, and stores each once; with another key the number is on file."""
    first = await book_new_customer(db, GRACE, at(shop, time(9)), idempotency_key="k-2", now=NOW)
    again = await book_new_customer(db, GRACE, at(shop, time(9)), idempotency_key="k-2", now=NOW)
    assert again[0].id == first[0].id and again[1].id == first[1].id
    assert (await list_appointments(db, shop.business_id)).total == 1
    with pytest.raises(DuplicateCustomer):
        await book_new_customer(db, GRACE, at(shop, time(11)), idempotency_key="k-3", now=NOW)

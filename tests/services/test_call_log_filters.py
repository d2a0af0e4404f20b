"""The call log's filters the owner's pages use: a caller's number, a customer's messages, and
what one call booked."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from booking.db import Database
from booking.errors import InvalidInput
from booking.models import CallOutcome
from booking.services import appointments, call_log, calls
from booking.services.appointment_queries import list_appointments
from booking.services.appointments import BookingRequest
from booking.services.pagination import Page
from tests.conftest import NOW
from tests.factories import Shop


async def _call(db: Database, shop: Shop, number: str | None, minutes_ago: int) -> int:
    call_id = await calls.start_call(
        db,
        shop.business_id,
        room_name=f"room-{minutes_ago}",
        caller_number=number,
        dialled_number="+12125550100",
        customer_id=None,
        verified=number is not None,
        now=NOW - timedelta(minutes=minutes_ago),
    )
    await calls.finish_call(db, call_id, CallOutcome.INFO, now=NOW - timedelta(minutes=1))
    return call_id


async def test_calls_are_found_by_the_callers_number_in_any_format(db: Database, shop: Shop):
    """A whole number in any format finds that caller's calls; four digits or more find the
    numbers that contain them; a withheld number is never matched."""
    ada = await _call(db, shop, "+12345678900", 30)
    grace = await _call(db, shop, "+12125550147", 20)
    await _call(db, shop, None, 10)

    def found(page: Page[call_log.CallSummary]) -> list[int]:
        return [c.id for c in page.items]

    by_whole = await call_log.list_calls(db, shop.business_id, number="(234) 567-8900")
    assert found(by_whole) == [ada]
    by_digits = await call_log.list_calls(db, shop.business_id, number="0147")
    assert found(by_digits) == [grace]
    everyone = await call_log.list_calls(db, shop.business_id, number="  ")
    assert len(everyone.items) == 3


async def test_a_number_too_short_to_search_is_refused_naming_the_field(db: Database, shop: Shop):
    """Fewer than four digits would match nearly every call: refused, naming `number`."""
    with pytest.raises(InvalidInput) as refused:
        await call_log.list_calls(db, shop.business_id, number="12")
    assert refused.value.field == "number"


async def test_messages_are_filtered_by_customer(db: Database, shop: Shop):
    """A customer's history shows their messages and no one else's."""
    theirs = await calls.take_message(db, shop.business_id, body="Call me", customer_id=shop.ada)
    await calls.take_message(db, shop.business_id, body="Someone else", caller_name="Bo")
    found = await call_log.list_messages(db, shop.business_id, customer_id=shop.ada)
    assert [m.id for m in found.items] == [theirs.id]


async def test_appointments_are_filtered_by_the_call_that_made_them(db: Database, shop: Shop):
    """A call's page lists what that call booked, not the customer's other appointments."""
    call_id = await _call(db, shop, "+12345678900", 5)
    day = (NOW + timedelta(days=1)).date()
    by_call = await appointments.book(
        db,
        BookingRequest(
            business_id=shop.business_id,
            customer_id=shop.ada,
            staff_id=shop.sam,
            local_date=day,
            local_time=time(10),
            duration_minutes=30,
            call_id=call_id,
        ),
        now=NOW,
    )
    await appointments.book(
        db,
        BookingRequest(
            business_id=shop.business_id,
            customer_id=shop.ada,
            staff_id=shop.sam,
            local_date=day,
            local_time=time(14),
            duration_minutes=30,
        ),
        now=NOW,
    )
    found = await list_appointments(db, shop.business_id, call_id=call_id)
    assert [a.id for a in found.items] == [by_call.id]

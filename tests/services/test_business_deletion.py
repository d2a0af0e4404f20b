"""A business can be deleted whole, and the demo business gives way to a real one."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from booking.models import (
    ApiToken,
    Appointment,
    Business,
    Call,
    Customer,
    Message,
    Service,
    Staff,
    ToolCall,
)
from booking.services import appointments, businesses, calls, demo
from tests.conftest import NOW
from tests.factories import make_shop

TABLES = [Business, Staff, Service, Customer, Appointment, Call, ToolCall, Message, ApiToken]


async def count_of(db, model, business_id: int | None) -> int:
    async with db.read() as session:
        query = select(func.count()).select_from(model)
        if business_id is not None and model is ToolCall:
            query = query.join(Call, Call.id == ToolCall.call_id).where(
                Call.business_id == business_id
            )
        elif business_id is not None and hasattr(model, "business_id"):
            query = query.where(model.business_id == business_id)
        elif business_id is not None and model is Business:
            query = query.where(Business.id == business_id)
        return int(await session.scalar(query) or 0)


async def fill(db, shop) -> None:
    """A booking, a call with a tool call and a message, so every table has a row."""
    await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id, customer_id=shop.ada, staff_id=shop.sam,
            local_date=date(2026, 12, 1), local_time=time(10), duration_minutes=30,
        ),
        now=NOW,
    )  # fmt: skip
    call_id = await calls.start_call(
        db, shop.business_id, room_name="r", caller_number="+12345678900",
        dialled_number=None, customer_id=shop.ada, verified=True, now=NOW,
    )  # fmt: skip
    await calls.record_tool_call(
        db, call_id, name="list_my_appointments", arguments={}, result="x", error=None,
        latency_ms=1.0,
    )  # fmt: skip
    await calls.take_message(db, shop.business_id, body="ring me", call_id=call_id, now=NOW)


async def test_deleting_a_business_removes_all_of_it_and_nothing_else(db, shop):
    """Every row of the deleted business goes, in every table; the other business keeps all
    of its rows."""
    other = await make_shop(db, name="Harbour Dental", number="+12125550300")
    await fill(db, shop)
    await fill(db, other)
    before = {m.__name__: await count_of(db, m, other.business_id) for m in TABLES}
    await businesses.delete_business(db, shop.business_id)
    for model in TABLES:
        assert await count_of(db, model, shop.business_id) == 0, model.__name__
    after = {m.__name__: await count_of(db, m, other.business_id) for m in TABLES}
    assert after == before and all(after.values())
    assert await count_of(db, ToolCall, None) == before["ToolCall"]


async def test_the_demo_stops_answering_unmatched_numbers_once_a_real_business_exists(db):
    """With only the demo, an unmatched number rings the demo; once a real business exists
    (with a higher id), unmatched numbers ring the real one."""
    seeded = await demo.seed_demo(db)
    assert seeded is not None
    alone = await businesses.business_for_dialled_number(db, "+15555550000", None)
    assert alone is not None and alone.id == seeded.business_id and alone.is_demo
    real = await businesses.create_business(
        db, name="Harbour Dental", timezone="Europe/London", region="GB"
    )
    answered = await businesses.business_for_dialled_number(db, "+15555550000", None)
    assert answered is not None and answered.id == real.id

"""Whole conversations through the real AgentSession and tools, with a scripted model."""

from __future__ import annotations

from sqlalchemy import select

from booking.models import Appointment, AppointmentStatus, Call, CallOutcome, Customer, ToolCall
from tests.agent.scripted import tool


async def rows(db, model, *where):
    async with db.read() as session:
        return list(await session.scalars(select(model).where(*where)))


async def test_new_caller_gives_name_and_books(db, shop, phone):
    """A new caller is saved under their caller-ID number, books an offered time, and the call
    is logged as booked with its transcript and tool calls."""
    call = await phone(caller="+1 212 555 0147")
    call.model.add(
        tool("create_new_customer", name="Grace Hopper"),
        "Thanks Grace. How can I help?",
        tool("check_availability", date="2026-12-01", part_of_day="morning", service="haircut"),
        "I have a few times on Tuesday morning.",
        tool("book_appointment", option_id="T1"),
        "You're booked.",
    )
    await call.say("Hi, this is Grace Hopper")
    result = await call.say("A haircut on Tuesday morning please")
    result.expect.contains_function_call(name="check_availability")
    offered = call.state.options["T1"]
    await call.say("The first one, please")
    await call.hang_up()

    grace = await rows(db, Customer, Customer.phone == "+12125550147")
    assert [c.name for c in grace] == ["Grace Hopper"]
    booked = await rows(db, Appointment, Appointment.customer_id == grace[0].id)
    assert len(booked) == 1
    assert booked[0].status == AppointmentStatus.BOOKED
    assert booked[0].starts_at.astimezone(shop_zone()).time() == offered.local_time
    assert booked[0].call_id == call.state.call_id
    logged = (await rows(db, Call, Call.id == call.state.call_id))[0]
    assert logged.outcome == CallOutcome.BOOKED
    assert logged.customer_id == grace[0].id
    assert logged.ended_at is not None
    assert any(turn["text"] == "Hi, this is Grace Hopper" for turn in logged.transcript)
    tools = [t.name for t in await rows(db, ToolCall, ToolCall.call_id == logged.id)]
    assert tools == ["create_new_customer", "check_availability", "book_appointment"]


def shop_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")

"""Gemini refusing to connect: retried at once, and if it never answers the caller gets a
person or a call back, through the real plugin against the local stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from booking.agent.model import CallRealtimeModel
from booking.agent.outage import MISSED_CALL, ModelOutage
from booking.models import Call, CallOutcome, Message, WebhookDelivery
from booking.services import webhooks
from tests.agent.conftest import make_runtime, start_call


async def rows(db: Any, model: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model)))


async def test_two_refused_setups_then_the_call_goes_on_and_greets(db, shop, gemini_live):
    """Gemini answers the first two setups with 1011 and accepts the third: the caller is
    greeted on it, a few hundred milliseconds late rather than never."""
    gemini_live.refuse_setups = 2
    gemini_live.add("Hello Ada, Test Salon here.")
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900", greet=True)
    asked = await gemini_live.wait_for_request(within=10)
    assert "Greet Ada by name" in asked
    assert gemini_live.refused == 2 and len(gemini_live.connections) == 1
    model = call.session.llm
    assert isinstance(model, CallRealtimeModel) and model.connections == 1
    await call.hang_up()
    [logged] = await rows(db, Call)
    assert logged.outcome != CallOutcome.MODEL_UNAVAILABLE


@pytest.mark.parametrize("transfer_number", [None, "+12125550199"])
async def test_a_model_that_never_answers_leaves_a_missed_call_message(
    db, shop, gemini_live, transfer_number
):
    """Every setup refused: the session ends instead of hanging; the team gets a missed-call
    message with the caller's number (and its webhook), the call is logged as
    model_unavailable, and with a transfer number the caller is transferred there."""
    from booking.services import businesses

    await businesses.update_business(db, shop.business_id, transfer_number=transfer_number)
    await webhooks.create_subscription(
        db, shop.business_id, "https://hooks.example.com/booking", ["message.taken"]
    )
    gemini_live.refuse_setups = 100
    runtime = make_runtime(db, gemini_live)
    call = await start_call(runtime, gemini_live, "+12345678900", greet=True)
    transferred_to: list[str] = []

    async def sip_transfer(number: str) -> None:  # stands in for LiveKit's SIP REFER
        transferred_to.append(number)

    call.state.transfer = sip_transfer
    outage = ModelOutage(call.session, call.state, call.session.llm)
    closed = asyncio.Event()
    call.session.on("close", lambda _event: closed.set())
    await asyncio.wait_for(closed.wait(), 15)
    await outage.settled()
    await call.recorder.finish()

    assert gemini_live.refused >= 4  # the first try and three more
    [message] = await rows(db, Message)
    assert message.body == MISSED_CALL
    assert message.callback_number == "+12345678900"
    assert message.call_id == call.state.call_id
    [delivery] = await rows(db, WebhookDelivery)
    assert delivery.event == "message.taken"
    assert delivery.payload["data"]["callback_number"] == "+12345678900"
    [logged] = await rows(db, Call)
    assert logged.outcome == CallOutcome.MODEL_UNAVAILABLE
    assert logged.ended_at is not None
    assert transferred_to == ([transfer_number] if transfer_number else [])

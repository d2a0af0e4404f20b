"""Calls the line does not answer: a number on the block list, and a number that calls more
than the business allows within its window. Both are logged as refused and never reach a
model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from booking.agent.call import CallRefused, open_call, run_call
from booking.agent.caller import CallerLine
from booking.models import Call, CallOutcome, ToolCall
from booking.services import block_list
from tests.agent.conftest import SHOP_NUMBER, make_runtime
from tests.agent.scripted import ScriptedLLM
from tests.conftest import NOW
from tests.gemini_live.server import GeminiLiveStandIn


def refusals(reason: str) -> float:
    return REGISTRY.get_sample_value("booking_line_refusals_total", {"reason": reason}) or 0.0


async def logged_calls(db, number: str) -> list[Call]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(Call).where(Call.caller_number == number).order_by(Call.id)
            )
        )


async def refusal_rows(db, call_id: int) -> list[ToolCall]:
    async with db.read() as session:
        return list(await session.scalars(select(ToolCall).where(ToolCall.call_id == call_id)))


@dataclass
class Clock:
    now: Any = NOW

    def __call__(self) -> Any:
        return self.now


async def test_sixth_call_in_ten_minutes_is_refused_and_the_window_slides(db, shop):
    """Five calls from one number in ten minutes are answered; the sixth is refused and logged
    (outcome refused, with why); another number is unaffected; once the first call is more
    than ten minutes old the number is answered again."""
    clock = Clock()
    runtime = make_runtime(db, ScriptedLLM(), clock=clock)
    before = refusals("repeat_calls")
    for minute in range(5):
        clock.now = NOW + timedelta(minutes=minute)
        assert await open_call(runtime, CallerLine("+12125550142", SHOP_NUMBER)) is not None
    clock.now = NOW + timedelta(minutes=6)
    with pytest.raises(CallRefused) as refused:
        await open_call(runtime, CallerLine("+12125550142", SHOP_NUMBER))
    assert await open_call(runtime, CallerLine("+12125550143", SHOP_NUMBER)) is not None
    clock.now = NOW + timedelta(minutes=10, seconds=1)
    assert await open_call(runtime, CallerLine("+12125550142", SHOP_NUMBER)) is not None

    logged = await logged_calls(db, "+12125550142")
    assert [c.outcome for c in logged] == [CallOutcome.IN_PROGRESS] * 5 + [
        CallOutcome.REFUSED,
        CallOutcome.IN_PROGRESS,
    ]
    assert logged[5].id == refused.value.call_id and logged[5].ended_at is not None
    [why] = await refusal_rows(db, logged[5].id)
    assert why.name == "refused" and why.arguments == {"reason": "repeat_calls"}
    assert "5 times in the last 10 minutes" in (why.error or "")
    assert refusals("repeat_calls") == before + 1


@dataclass
class FakeJob:
    """Just enough of a JobContext for run_call: one SIP participant, a room to delete."""

    caller: str
    deleted: list[str] = field(default_factory=list)
    shutdowns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.job = SimpleNamespace(room=SimpleNamespace(name="blocked-room"))
        self.room = SimpleNamespace(name="blocked-room")

    async def wait_for_participant(self) -> Any:
        return SimpleNamespace(
            identity=f"sip_{self.caller}",
            attributes={"sip.phoneNumber": self.caller, "sip.trunkPhoneNumber": SHOP_NUMBER},
        )

    async def delete_room(self) -> None:
        self.deleted.append(self.room.name)

    def shutdown(self, reason: str = "") -> None:
        self.shutdowns.append(reason)


async def test_blocked_number_never_reaches_the_model(db, shop, gemini_live: GeminiLiveStandIn):
    """A call from a blocked number (blocked in another format) is logged as refused and its
    room deleted; the Gemini Live stand-in is never connected (no setup), so it costs no model
    minutes. Another number still reaches the model."""
    await block_list.block(db, shop.business_id, "(212) 555-0166", "prank calls")
    runtime = make_runtime(db, gemini_live)
    before = refusals("blocked")
    job = FakeJob("+12125550166")
    await run_call(job, runtime)  # type: ignore[arg-type]

    assert job.deleted == ["blocked-room"] and job.shutdowns == ["refused"]
    assert gemini_live.connections == [] and gemini_live.frames("setup") == []
    [logged] = await logged_calls(db, "+12125550166")
    assert logged.outcome == CallOutcome.REFUSED and logged.room_name == "blocked-room"
    [why] = await refusal_rows(db, logged.id)
    assert why.arguments == {"reason": "blocked"} and "block list" in (why.error or "")
    assert refusals("blocked") == before + 1
    assert await open_call(runtime, CallerLine("+12125550167", SHOP_NUMBER)) is not None

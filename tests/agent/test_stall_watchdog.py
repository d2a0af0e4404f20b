"""A Gemini Live model that goes quiet is prompted, reconnected, and finally replaced by a
missed-call message: through the real plugin against the local stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from booking.agent.call import watch_for_stalls
from booking.agent.outage import MISSED_CALL, ModelOutage
from booking.agent.watchdog import NUDGE
from booking.models import Call, CallOutcome, Message
from booking.services import availability
from tests.agent.conftest import make_runtime, start_call
from tests.agent.scripted import tool
from tests.gemini_live.server import SILENT

STALL = 0.5
MARGIN = 0.6


async def rows(db: Any, model: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model)))


async def watched_call(db: Any, server: Any) -> tuple[Any, Any, asyncio.Event]:
    runtime = make_runtime(db, server, model_stall_seconds=STALL)
    call = await start_call(runtime, server, "+12345678900")
    hung_up = asyncio.Event()

    async def hang_up() -> None:
        hung_up.set()

    outage = ModelOutage(call.session, call.state, call.session.llm)
    watchdog = watch_for_stalls(runtime, call.session, outage, call.recorder, hang_up)
    assert watchdog is not None
    watchdog.start()
    return call, watchdog, hung_up


def nudges(server: Any) -> list[float]:
    """When each prompt from the watchdog reached the model."""
    return [
        at
        for connection in server.connections
        for frame, at in zip(connection.frames, connection.arrived, strict=True)
        if NUDGE in str(frame.get("clientContent", ""))
    ]


async def test_a_silent_model_is_prompted_then_reconnected_then_replaced(db, shop, gemini_live):
    """The model answers nothing after a tool result: within the stall time it is asked to
    reply; silent again, the connection is renewed and it is asked again; silent a third
    time, the call ends with a missed-call message, outcome model_unavailable, and each step
    in the call's transcript."""
    gemini_live.add(tool("check_availability", date="2026-12-01", staff="Sam"), SILENT)
    gemini_live.add(SILENT, SILENT, SILENT, SILENT)
    call, watchdog, hung_up = await watched_call(db, gemini_live)
    asking = asyncio.create_task(call.say("Tuesday with Sam"))
    await gemini_live.wait_for(lambda: gemini_live.tool_responses())
    answered_at = gemini_live.current.arrived[-1]
    first = await gemini_live.wait_for(lambda: nudges(gemini_live), within=STALL + 5)
    assert first[0] - answered_at < STALL + MARGIN
    await gemini_live.wait_for(lambda: len(gemini_live.connections) == 2, within=STALL + 5)
    await gemini_live.wait_for(lambda: len(nudges(gemini_live)) == 2, within=5)
    await asyncio.wait_for(hung_up.wait(), STALL + 5)
    watchdog.stop()
    asking.cancel()
    await call.hang_up()
    [message] = await rows(db, Message)
    assert message.body == MISSED_CALL and message.callback_number == "+12345678900"
    [logged] = await rows(db, Call)
    assert logged.outcome == CallOutcome.MODEL_UNAVAILABLE
    events = [turn["text"] for turn in logged.transcript if turn["role"] == "event"]
    assert events == [
        "The voice model went quiet; prompted.",
        "The voice model went quiet; reconnected.",
        "The voice model went quiet; gave up.",
    ]


async def test_a_prompt_that_works_lets_the_call_go_on(db, shop, gemini_live):
    """Prompted once, the model answers: no reconnect, no message, the call goes on."""
    gemini_live.add(tool("check_availability", date="2026-12-01", staff="Sam"), SILENT)
    gemini_live.add("Sorry, I have 9 AM, 1 PM or 4:30 PM.")
    call, watchdog, hung_up = await watched_call(db, gemini_live)
    asking = asyncio.create_task(call.say("Tuesday with Sam"))
    await gemini_live.wait_for(lambda: nudges(gemini_live), within=STALL + 5)
    await asyncio.sleep(STALL * 3)
    assert len(nudges(gemini_live)) == 1
    assert len(gemini_live.connections) == 1 and not hung_up.is_set()
    watchdog.stop()
    asking.cancel()
    await call.hang_up()
    assert await rows(db, Message) == []


async def test_no_false_alarm_while_a_slow_tool_runs(db, shop, gemini_live, monkeypatch):
    """A tool that takes three stall periods is not a stall: nothing is owed until its
    result has been sent."""
    real_find = availability.find_slots

    async def slow_find(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(STALL * 3)
        return await real_find(*args, **kwargs)

    monkeypatch.setattr(availability, "find_slots", slow_find)
    gemini_live.add(tool("check_availability", date="2026-12-01", staff="Sam"), "I have 9 AM.")
    call, watchdog, _ = await watched_call(db, gemini_live)
    await call.say("Tuesday with Sam")
    await asyncio.sleep(STALL * 2)
    assert nudges(gemini_live) == []
    watchdog.stop()
    await call.hang_up()


async def test_no_false_alarm_while_the_model_speaks(db, shop, gemini_live):
    """A reply streamed over three stall periods is not a stall."""
    gemini_live.add(gemini_live.streamed("Let me tell you about our colours...", seconds=STALL * 3))
    call, watchdog, _ = await watched_call(db, gemini_live)
    await call.say("Tell me about colours")
    await asyncio.sleep(STALL * 2)
    assert nudges(gemini_live) == []
    watchdog.stop()
    await call.hang_up()


async def test_silence_after_the_callers_spoken_turn_is_prompted(db, shop, gemini_live):
    """The caller speaks (Gemini transcribes them) and the model ends its turn without a word:
    it is asked to reply within the stall time of the caller's last word, and its answer ends
    the alarm."""
    gemini_live.add("Of course, a haircut. Which day suits you?")
    call, watchdog, hung_up = await watched_call(db, gemini_live)
    await gemini_live.wait_for(lambda: gemini_live.connections)
    await gemini_live.hear("I'd like a haircut", then_nothing=True)
    heard_at = asyncio.get_running_loop().time()
    await gemini_live.wait_for(lambda: nudges(gemini_live), within=STALL + 5)
    assert asyncio.get_running_loop().time() - heard_at < STALL + MARGIN
    await asyncio.sleep(STALL * 2)
    assert len(nudges(gemini_live)) == 1 and not hung_up.is_set()
    watchdog.stop()
    await call.hang_up()


async def test_no_false_alarm_while_the_caller_is_talking(db, shop, gemini_live):
    """A caller who talks for three stall periods (transcribed as they go) is not a stall."""
    call, watchdog, _ = await watched_call(db, gemini_live)
    await gemini_live.wait_for(lambda: gemini_live.connections)
    for word in [
        "so",
        "I",
        "was",
        "thinking",
        "maybe",
        "a",
        "trim",
        "or",
        "perhaps",
        "a",
        "colour",
    ]:
        await gemini_live.hear(f" {word}")
        await asyncio.sleep(STALL / 3)
    assert nudges(gemini_live) == []
    watchdog.stop()
    await call.hang_up()

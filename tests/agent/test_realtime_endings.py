"""How calls end on the Gemini Live path: one goodbye, the line dropped, a normal close."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select

from booking.agent.limits import GOODBYE_TIME, WRAP_UP, CallLimits
from booking.models import Call
from tests.agent.conftest import make_runtime, start_call
from tests.agent.scripted import tool
from tests.gemini_live.server import SILENT

REFUSED_FLAG = "allow_interruptions cannot be False"


async def ended(call: Any, within: float = 10.0) -> None:
    closed = asyncio.Event()
    call.session.on("close", lambda _event: closed.set())
    await asyncio.wait_for(closed.wait(), within)


async def test_end_call_drops_the_line_and_closes_gemini_normally(db, shop, gemini_live):
    """end_call after the goodbye ends the session, and our side closes the Gemini socket
    with 1000 (a normal close), not 1011 (an error)."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(tool("end_call"))
    closing = asyncio.create_task(ended(call))
    await call.say("That's all, bye!")
    await closing
    await call.recorder.finish()
    await closed_normally(gemini_live)
    [logged] = await rows(db, Call)
    assert logged.ended_at is not None


async def test_end_call_answered_by_another_tool_call_still_hangs_up(db, shop, gemini_live):
    """Gemini answers end_call's result with yet another tool call: the line is dropped
    anyway (livekit/agents #6002)."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(tool("end_call"), tool("list_my_appointments"), SILENT)
    closing = asyncio.create_task(ended(call))
    await call.say("Bye!")
    await closing
    await closed_normally(gemini_live)


async def test_end_call_answered_by_silence_still_hangs_up(db, shop, gemini_live):
    """Gemini says nothing at all after end_call: the line is dropped anyway."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(tool("end_call"), SILENT)
    closing = asyncio.create_task(ended(call))
    await call.say("Bye!")
    await closing
    await closed_normally(gemini_live)


async def test_length_limit_says_goodbye_once_and_hangs_up_without_warnings(
    db, shop, gemini_live, caplog
):
    """At the maximum length on Gemini Live the caller is warned and told goodbye once each,
    the line is dropped, and no refused allow_interruptions flag is logged: the goodbye is
    protected by stopping the caller's audio to the model instead."""
    gemini_live.add("I'll need to end the call in a moment.", "Goodbye!")
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    hung_up = asyncio.Event()

    async def hang_up() -> None:
        hung_up.set()

    caplog.set_level(logging.WARNING)
    limits = CallLimits(call.session, max_seconds=0.3, silence_seconds=60, hang_up=hang_up)
    limits.start()
    await asyncio.wait_for(hung_up.wait(), 10)
    sent = gemini_live.text_sent()
    assert sent.count(WRAP_UP) == 1 and sent.count(GOODBYE_TIME) == 1
    assert not call.session.input.audio_enabled
    assert REFUSED_FLAG not in caplog.text
    await call.hang_up()
    await closed_normally(gemini_live)


async def closed_normally(server: Any) -> None:
    await server.wait_for(lambda: server.current.closed_by_client is not None)
    assert server.current.closed_by_client == 1000


async def rows(db: Any, model: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model)))

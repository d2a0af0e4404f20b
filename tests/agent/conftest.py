"""Phone calls in text mode: the real AgentSession and tools, a scripted model, the real DB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from livekit.agents import AgentSession, TurnHandlingOptions

from booking.agent.bridge import ServiceBridge
from booking.agent.call import CallRuntime, new_receptionist, new_session, open_call
from booking.agent.caller import CallerLine
from booking.agent.recorder import CallRecorder
from booking.agent.state import CallState
from booking.config import load_settings
from booking.db import Database
from tests.agent.scripted import ScriptedLLM
from tests.conftest import NOW

SHOP_NUMBER = "+12125550100"


@dataclass
class PhoneCall:
    session: AgentSession[CallState]
    state: CallState
    model: ScriptedLLM
    recorder: CallRecorder

    async def say(self, text: str) -> Any:
        return await self.session.run(user_input=text)

    async def hang_up(self) -> None:
        await self.session.aclose()
        await self.recorder.finish()


def make_runtime(
    db: Database,
    model: ScriptedLLM,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    timeout: float = 5.0,
    clock: Callable[[], Any] = lambda: NOW,
) -> CallRuntime:
    settings = load_settings(
        database_url="sqlite+aiosqlite:///unused.db", tool_timeout_seconds=timeout
    )
    return CallRuntime(
        db=db,
        bridge=ServiceBridge(loop or asyncio.get_running_loop(), timeout),
        settings=settings,
        model_factory=lambda: model,
        clock=clock,
    )


async def start_call(
    runtime: CallRuntime, model: ScriptedLLM, caller: str | None, *, greet: bool = False
) -> PhoneCall:
    opened = await open_call(runtime, CallerLine(caller=caller, dialled=SHOP_NUMBER, room_name="t"))
    assert opened is not None
    state, upcoming = opened
    session = new_session(
        runtime, state, vad=None, turn_handling=TurnHandlingOptions(turn_detection=None)
    )
    recorder = CallRecorder(session, state)
    await session.start(new_receptionist(runtime, state, upcoming, greet=greet))
    return PhoneCall(session, state, model, recorder)


@pytest.fixture
async def phone(db: Database) -> AsyncIterator[Callable[..., Any]]:
    """`await phone(caller="+1...")` starts a call; the scripted model is `call.model`."""
    started: list[PhoneCall] = []

    async def _start(caller: str | None = "+12345678900", *, greet: bool = False) -> PhoneCall:
        model = ScriptedLLM()
        call = await start_call(make_runtime(db, model), model, caller, greet=greet)
        started.append(call)
        return call

    yield _start
    for call in started:
        await call.hang_up()

"""Phone calls through the real AgentSession and tools and the real database, on both model
paths: a scripted text `llm.LLM`, and the real Gemini Live plugin against a local stand-in."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from livekit.agents import AgentSession, TurnHandlingOptions

from booking.agent.bridge import ServiceBridge
from booking.agent.call import CallRuntime, new_receptionist, new_session, open_call
from booking.agent.caller import CallerLine
from booking.agent.model import gemini_factory
from booking.agent.recorder import CallRecorder
from booking.agent.state import CallState
from booking.config import Settings, load_settings
from booking.db import Database
from tests.agent.promises import audit_promises
from tests.agent.scripted import ScriptedLLM, Step
from tests.conftest import NOW
from tests.gemini_live.server import GeminiLiveStandIn, TestAuthority

SHOP_NUMBER = "+12125550100"
# The Live models a business may run: the default, and the 2.5 preview that stays selectable.
LIVE_MODELS = {"3.8": "gemini-3.8-live", "2.5": "gemini-2.5-flash-native-audio-preview-12-2025"}
MODEL_PATHS = ["text", *LIVE_MODELS]


class ScriptedModel(Protocol):
    """What a test scripts and inspects, whichever path the call takes."""

    def add(self, *steps: Step) -> None: ...
    def instructions_seen(self) -> str: ...
    def text_sent(self) -> str: ...
    async def wait_for_request(self, within: float = 5.0) -> str: ...


@dataclass
class PhoneCall:
    session: AgentSession[CallState]
    state: CallState
    model: Any  # ScriptedLLM or GeminiLiveStandIn: see ScriptedModel
    recorder: CallRecorder

    async def say(self, text: str) -> Any:
        return await self.session.run(user_input=text)

    async def hang_up(self) -> None:
        await self.session.aclose()
        await self.recorder.finish()


def test_settings(timeout: float = 5.0, **overrides: Any) -> Settings:
    return load_settings(
        database_url="sqlite+aiosqlite:///unused.db", tool_timeout_seconds=timeout, **overrides
    )


def make_runtime(
    db: Database,
    model: ScriptedLLM | GeminiLiveStandIn,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    timeout: float = 5.0,
    clock: Callable[[], Any] = lambda: NOW,
    **settings_overrides: Any,
) -> CallRuntime:
    """A call runtime whose model is `model`: the scripted LLM itself, or the production
    Gemini factory pointed at the stand-in."""
    if isinstance(model, GeminiLiveStandIn):
        os.environ["SSL_CERT_FILE"] = model.ca_file  # restored after each test
        settings_overrides.setdefault("gemini_model", model.model)
        settings = test_settings(
            timeout,
            google_api_key="test-key",
            gemini_base_url=model.base_url,
            **settings_overrides,
        )
        factory = gemini_factory(settings)
    else:
        settings = test_settings(timeout, **settings_overrides)
        factory = lambda: model  # noqa: E731
    return CallRuntime(
        db=db,
        bridge=ServiceBridge(loop or asyncio.get_running_loop(), timeout),
        settings=settings,
        model_factory=factory,
        clock=clock,
    )


async def start_call(
    runtime: CallRuntime, model: Any, caller: str | None, *, greet: bool = False
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


def slow_bookings(monkeypatch: pytest.MonkeyPatch, seconds: float = 0.3) -> asyncio.Event:
    """From now on each booking write takes `seconds` longer; the event is set as one starts,
    so a test can act (barge in, take the call back) while it is under way."""
    from booking.services import appointments

    real_book = appointments.book
    writing = asyncio.Event()

    async def slow_book(*args: Any, **kwargs: Any) -> Any:
        writing.set()
        await asyncio.sleep(seconds)
        return await real_book(*args, **kwargs)

    monkeypatch.setattr(appointments, "book", slow_book)
    return writing


@pytest.fixture(scope="session")
def test_authority(tmp_path_factory: pytest.TempPathFactory) -> TestAuthority:
    return TestAuthority(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture(params=list(LIVE_MODELS))
async def gemini_live(
    request: pytest.FixtureRequest, test_authority: TestAuthority
) -> AsyncIterator[GeminiLiveStandIn]:
    """A local Gemini Live stand-in, stopped after the test; each test runs with each Live
    model configured."""
    server = await GeminiLiveStandIn(test_authority, model=LIVE_MODELS[request.param]).start()
    yield server
    await server.stop()


@pytest.fixture(params=MODEL_PATHS)
async def model_path(request: pytest.FixtureRequest) -> str:
    """Which model a conversation test talks through: each runs once on each path."""
    return str(request.param)


@pytest.fixture
async def new_model(
    model_path: str, test_authority: TestAuthority
) -> AsyncIterator[Callable[[], Any]]:
    """`new_model()` makes a fresh scripted model for this test's path."""
    servers: list[GeminiLiveStandIn] = []

    async def make() -> ScriptedLLM | GeminiLiveStandIn:
        if model_path == "text":
            return ScriptedLLM()
        server = await GeminiLiveStandIn(test_authority, model=LIVE_MODELS[model_path]).start()
        servers.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in servers:
        await server.stop()


@pytest.fixture
async def phone(db: Database, new_model: Any) -> AsyncIterator[Callable[..., Any]]:
    """`await phone(caller="+1...")` starts a call; its scripted model is `call.model`."""
    started: list[PhoneCall] = []

    async def _start(caller: str | None = "+12345678900", *, greet: bool = False) -> PhoneCall:
        model = await new_model()
        call = await start_call(make_runtime(db, model), model, caller, greet=greet)
        started.append(call)
        return call

    yield _start
    for call in started:
        await call.hang_up()
        await audit_promises(db, call.state.call_id)  # what the caller was told is a row

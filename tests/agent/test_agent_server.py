"""The real AgentServer beside uvicorn in one loop: a fake job runs while HTTP answers."""

from __future__ import annotations

import asyncio
import os
import socket

import httpx
from sqlalchemy import select

from booking.agent.worker import AgentRunner
from booking.config import load_settings
from booking.models import Call
from booking.server import serve
from tests.agent.scripted import ScriptedLLM, tool
from tests.gemini_live.server import GeminiLiveStandIn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_fake_job_runs_beside_http_and_drains_on_stop(database_url, db, shop, new_model):
    """`serve` runs the AgentServer (THREAD jobs) and uvicorn in one loop: a simulated call
    opens a call row while /health answers, and stopping drains the call and returns. On the
    Gemini Live path the runner builds the production model itself."""
    model = await new_model()
    model.add(tool("end_call", after=1.0))
    live = isinstance(model, GeminiLiveStandIn)
    if live:
        os.environ["SSL_CERT_FILE"] = model.ca_file
    settings = load_settings(
        database_url=database_url,
        livekit_url="ws://127.0.0.1:1",
        livekit_api_key="key",
        livekit_api_secret="a-test-secret-long-enough-for-hs256-keys",
        google_api_key="dummy",
        gemini_base_url=model.base_url if live else None,
        agent_health_port=0,
        business_id=shop.business_id,
        drain_timeout_seconds=20,
    )
    runner = AgentRunner(
        settings,
        model_factory=None if live else lambda: model,
        devmode=True,
        unregistered=True,
    )
    port = free_port()
    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve(settings, host="127.0.0.1", port=port, agent_runner=runner, stop=stop)
    )
    await asyncio.wait_for(runner.started.wait(), 30)
    assert runner.server is not None
    await runner.server.simulate_job("call-room", fake_job=True)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(100):
            async with db.read() as session:
                logged = list(await session.scalars(select(Call)))
            if logged:
                break
            await asyncio.sleep(0.1)
        health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["agent"] == "running"
    assert [c.room_name for c in logged] == ["call-room"]
    assert logged[0].business_id == shop.business_id
    assert logged[0].caller_number is None and not logged[0].caller_verified

    stop.set()
    await asyncio.wait_for(serving, 30)
    async with db.read() as session:
        [ended] = list(await session.scalars(select(Call)))
    assert ended.ended_at is not None
    assert ended.outcome == "abandoned"
    if live:  # the greeting reached Gemini, and the call's end_call was answered
        assert "Greet the caller" in model.text_sent()
        assert [r["name"] for r in model.tool_responses()] == ["end_call"]


async def test_agent_server_skips_local_turn_detection_models(db, monkeypatch):
    """Gemini Live detects turns itself, so building the agent server turns off LiveKit's
    preload of its local VAD and end-of-turn weights, unless the operator set it explicitly."""
    from booking.agent.worker import PRELOAD_LOCAL_INFERENCE

    settings = load_settings(google_api_key="dummy", agent_health_port=0)
    monkeypatch.delenv(PRELOAD_LOCAL_INFERENCE, raising=False)
    AgentRunner(settings, model_factory=lambda: ScriptedLLM([])).build(db)
    assert os.environ[PRELOAD_LOCAL_INFERENCE] == "0"
    monkeypatch.setenv(PRELOAD_LOCAL_INFERENCE, "1")
    AgentRunner(settings, model_factory=lambda: ScriptedLLM([])).build(db)
    assert os.environ[PRELOAD_LOCAL_INFERENCE] == "1"

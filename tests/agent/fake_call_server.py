"""`booking serve` as a real process with one simulated call in progress, for signal tests.

Run as `python -m tests.agent.fake_call_server PORT`; DATABASE_URL and BUSINESS_ID come from the
environment. The call's scripted model hangs up after CALL_SECONDS, so a SIGTERM sent while it
runs must wait for it (drain) and then exit 0.
"""

from __future__ import annotations

import asyncio
import sys

from booking.agent.worker import AgentRunner
from booking.config import load_settings
from booking.logging import configure_logging
from booking.server import serve
from tests.agent.scripted import ScriptedLLM, tool

CALL_SECONDS = 3.0


async def main(port: int) -> None:
    settings = load_settings(
        livekit_url="ws://127.0.0.1:1",
        livekit_api_key="key",
        livekit_api_secret="secret",
        google_api_key="dummy",
        agent_health_port=0,
        drain_timeout_seconds=30,
    )
    configure_logging("info", "json")
    model = ScriptedLLM([tool("end_call", after=CALL_SECONDS)])
    runner = AgentRunner(settings, model_factory=lambda: model, devmode=True, unregistered=True)

    async def call_when_ready() -> None:
        await runner.started.wait()
        assert runner.server is not None
        await runner.server.simulate_job("signal-room", fake_job=True)
        print("CALL STARTED", flush=True)

    simulated = asyncio.create_task(call_when_ready())
    await serve(settings, host="127.0.0.1", port=port, agent_runner=runner)
    simulated.cancel()
    print("EXITED CLEANLY", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

"""Case 6's child: `booking serve` with the phone agent (THREAD jobs, unregistered, a scripted
model), reporting on stdout when it is idle, how long the first call waited for a job runner,
and when 50 calls are in progress, so the parent can read its memory at each point.

Run as `python -m benchmarks.agent_process PORT IDLE_RUNNERS CALLS`, with DATABASE_URL and
BUSINESS_ID in the environment.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from benchmarks.calls import ScriptedLLM, tool
from booking.agent import worker
from booking.agent.worker import AgentRunner
from booking.config import load_settings
from booking.db import Database
from booking.logging import configure_logging
from booking.server import serve

SETTLE_SECONDS = 1.0  # for the parent to read memory at each reported point


def report(line: str) -> None:
    print(line, flush=True)


class Runner(AgentRunner):
    """The product's runner with the number of warm job runners set (the product keeps one)."""

    def __init__(self, idle_runners: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.idle_runners = idle_runners

    def build(self, db: Database) -> Any:
        server = super().build(db)
        server.update_options(num_idle_processes=self.idle_runners)
        return server


async def main(port: int, idle_runners: int, calls: int, hold: float) -> None:
    configure_logging("error", "json")
    settings = load_settings(
        livekit_url="ws://127.0.0.1:1",
        livekit_api_key="key",
        livekit_api_secret="secret",
        google_api_key="dummy",
        agent_health_port=0,
        drain_timeout_seconds=60,
    )
    entered: list[float] = []
    first_entered, all_entered = asyncio.Event(), asyncio.Event()
    main_loop = asyncio.get_running_loop()
    run_call = worker.run_call

    def count_entry() -> None:  # on the main loop
        first_entered.set()
        if len(entered) >= calls:
            all_entered.set()

    async def timed_run_call(ctx: Any, runtime: Any) -> None:  # on the call's own thread
        entered.append(time.perf_counter())
        main_loop.call_soon_threadsafe(count_entry)
        await run_call(ctx, runtime)

    worker.run_call = timed_run_call  # type: ignore[assignment]
    runner = Runner(
        idle_runners,
        settings=settings,
        # Each call's model hangs up after `hold` seconds, so all calls overlap.
        model_factory=lambda: ScriptedLLM([tool("end_call", after=hold)], []),
        unregistered=True,
    )
    stop = asyncio.Event()

    async def script() -> None:
        await runner.started.wait()
        await asyncio.sleep(SETTLE_SECONDS)
        report("idle")
        await asyncio.sleep(SETTLE_SECONDS)
        assert runner.server is not None
        began = time.perf_counter()
        await runner.server.simulate_job("call-0", fake_job=True)
        await first_entered.wait()
        report(f"first-call-wait {entered[0] - began:.6f}")
        for number in range(1, calls):
            await runner.server.simulate_job(f"call-{number}", fake_job=True)
        await all_entered.wait()
        await asyncio.sleep(SETTLE_SECONDS)
        report(f"busy {len(runner.server.active_jobs)}")
        await asyncio.sleep(SETTLE_SECONDS)
        report("exited")
        os._exit(0)  # draining 50 calls is not what is measured here

    task = asyncio.create_task(script())
    await serve(settings, host="127.0.0.1", port=port, agent_runner=runner, stop=stop)
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), 120.0))

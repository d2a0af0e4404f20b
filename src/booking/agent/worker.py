"""The LiveKit `AgentServer` inside `booking serve`: THREAD jobs, explicit dispatch by name.

Plugins must be imported on the main thread, so this module imports Google's at import time
and is only imported when the agent is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from livekit.agents import AgentServer, JobContext, JobExecutorType

from booking.agent.bridge import ServiceBridge
from booking.agent.call import CallRuntime, run_call
from booking.agent.model import ModelFactory, gemini_factory
from booking.config import Settings
from booking.db import Database
from booking.lifecycle import Lifecycle
from booking.logging import get_logger

log = get_logger(__name__)

PRELOAD_LOCAL_INFERENCE = "LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE"


class AgentRunner:
    """Builds the agent server and runs it until told to stop, then drains calls."""

    def __init__(
        self,
        settings: Settings,
        *,
        model_factory: ModelFactory | None = None,
        devmode: bool = False,
        unregistered: bool = False,
    ) -> None:
        self.settings = settings
        self.model_factory = model_factory or gemini_factory(settings)
        self.devmode = devmode
        self.unregistered = unregistered
        self.server: AgentServer | None = None
        self.started = asyncio.Event()

    def build(self, db: Database) -> AgentServer:
        settings = self.settings
        # Gemini Live detects turns itself: LiveKit's local VAD and end-of-turn weights (about
        # 250 MB, and a slower first call) would be loaded into the warm job runner for nothing.
        os.environ.setdefault(PRELOAD_LOCAL_INFERENCE, "0")
        runtime = CallRuntime(
            db=db,
            bridge=ServiceBridge(asyncio.get_running_loop(), settings.tool_timeout_seconds),
            settings=settings,
            model_factory=self.model_factory,
        )
        server = AgentServer(
            job_executor_type=JobExecutorType.THREAD,
            port=settings.agent_health_port,
            num_idle_processes=1,
            ws_url=settings.livekit_url or "",
            api_key=settings.livekit_api_key.get_secret_value() if settings.livekit_api_key else "",
            api_secret=(
                settings.livekit_api_secret.get_secret_value()
                if settings.livekit_api_secret
                else ""
            ),
            drain_timeout=int(settings.drain_timeout_seconds),
        )

        async def entrypoint(ctx: JobContext) -> None:
            await run_call(ctx, runtime)

        server.rtc_session(entrypoint, agent_name=settings.agent_name)
        server.on("worker_started", self.started.set)
        return server

    async def __call__(self, db: Database, lifecycle: Lifecycle, stop: asyncio.Event) -> None:
        self.server = server = self.build(db)
        run_task = asyncio.create_task(
            server.run(devmode=self.devmode, unregistered=self.unregistered), name="agent-server"
        )
        stop_task = asyncio.create_task(stop.wait())
        started_task = asyncio.create_task(self.started.wait())
        await asyncio.wait({run_task, stop_task, started_task}, return_when=asyncio.FIRST_COMPLETED)
        if self.started.is_set():
            lifecycle.agent = "running"
            log.info("phone agent registered", agent_name=self.settings.agent_name)
            await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        started_task.cancel()
        if run_task.done():
            stop_task.cancel()
            lifecycle.agent = "failed"
            error = run_task.exception()
            log.error("phone agent stopped", error=str(error) if error else "exited")
            stop.set()
            return
        lifecycle.agent = "draining"
        log.info("draining calls", calls=len(server.active_jobs))
        try:
            await server.drain(timeout=int(self.settings.drain_timeout_seconds) or None)
        except TimeoutError:
            log.warning("drain timed out; ending remaining calls")
        await server.aclose()
        with contextlib.suppress(Exception):
            await run_task
        lifecycle.agent = "stopped"

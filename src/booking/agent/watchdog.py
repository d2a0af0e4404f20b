"""No dead air: a Gemini Live model that goes quiet when it owes the caller an answer.

Gemini at times never acts on a tool result or on the caller's finished turn, and nothing in
the plugin or in LiveKit notices: the caller hears silence until they hang up. After
`MODEL_STALL_SECONDS` without a word or a tool call from the model while it owes one, the
watchdog asks it for a reply; if it stays quiet, it renews the connection (which carries the
call's recap) and asks again; if that fails too, the call ends as when the model cannot be
reached: a transfer or a missed-call message. The model speaking, a tool running or the caller
talking is never a stall. Each step is counted in `/metrics` and written to the call log.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from livekit.agents import AgentSession

from booking import metrics
from booking.agent.model import CallRealtimeModel
from booking.agent.outage import ModelOutage
from booking.logging import get_logger

log = get_logger(__name__)

NUDGE = (
    "Continue the call now: answer the caller, using the last tool result if there is one. "
    "If you were waiting for the caller, ask them briefly how you can help."
)
STEPS = ("prompted", "reconnected", "gave_up")


class StallWatchdog:
    """One call's watch over its model; started with the call, stopped when it ends."""

    def __init__(
        self,
        session: AgentSession[Any],
        model: CallRealtimeModel,
        *,
        stall_seconds: float,
        outage: ModelOutage,
        note: Callable[[str], None],
        hang_up: Callable[[], Awaitable[None]],
    ) -> None:
        self._session = session
        self._model = model
        self._stall_seconds = stall_seconds
        self._outage = outage
        self._note = note
        self._hang_up = hang_up
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="model-stall-watchdog")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _stalled_for(self) -> float:
        # Not the session's user state: the plugin reports the caller "speaking" whenever the
        # model starts a turn of its own. The caller's words arrive as transcription instead,
        # and each one restarts the clock.
        since = self._model.awaiting_since
        return 0.0 if since is None else time.monotonic() - since

    async def _watch(self) -> None:
        step = 0
        tick = min(0.25, self._stall_seconds / 4)
        while True:
            await asyncio.sleep(tick)
            if self._model.awaiting_since is None:
                step = 0
                continue
            if self._stalled_for() < self._stall_seconds:
                continue
            event = STEPS[min(step, len(STEPS) - 1)]
            metrics.MODEL_TROUBLE.labels(event=f"stall_{event}").inc()
            log.warning("model stalled", step=event, stalled_for=round(self._stalled_for(), 3))
            self._note(f"The voice model went quiet; {event.replace('_', ' ')}.")
            if event == "gave_up":
                await self._outage.take_over()
                await self._hang_up()
                return
            if event == "reconnected":
                renewed = False
                with contextlib.suppress(Exception):
                    renewed = await self._model.renew_connection()
                if not renewed:
                    step = len(STEPS) - 1
                    continue
            self._model.expect_reply()  # measure the next silence from this step
            with contextlib.suppress(Exception):
                # An empty turn the model opened (it heard the caller, then said nothing)
                # would hold the prompt back until it ends: clear it first.
                self._session.interrupt()
            with contextlib.suppress(Exception):
                self._session.generate_reply(instructions=NUDGE)
            step += 1

"""Writes a call's transcript as it goes and its outcome at the end, through the bridge.

Turns are queued and written in order by one task, so a slow write never holds up the
conversation and a crash loses at most the turn in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from livekit.agents import AgentSession, CloseEvent, CloseReason, ConversationItemAddedEvent

from booking import metrics
from booking.agent.state import CallState
from booking.logging import get_logger
from booking.models import CallOutcome
from booking.services import calls

log = get_logger(__name__)


class CallRecorder:
    def __init__(self, session: AgentSession[Any], state: CallState) -> None:
        self.state = state
        self.heard_caller = False
        self.failed = False
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_turns(), name="call-transcript")
        self.finished = asyncio.Event()
        self._finishing: asyncio.Future[None] | None = None
        self._closing: asyncio.Future[None] | None = None
        metrics.CALLS_IN_PROGRESS.inc()
        session.on("conversation_item_added", self._on_item)
        session.on("close", self._on_close)

    def _on_item(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        role = getattr(item, "role", None)
        text = getattr(item, "text_content", None)
        if role not in ("user", "assistant") or not text:
            return
        if role == "user":
            self.heard_caller = True
        self._queue.put_nowait({"role": role, "text": text, "at": self.state.clock().isoformat()})

    def note_event(self, text: str) -> None:
        """Something the line did on its own (a stalled model prompted, a connection renewed),
        kept in the transcript as an `event` turn so the owner sees it beside the words."""
        if not self.finished.is_set():
            self._queue.put_nowait(
                {"role": "event", "text": text, "at": self.state.clock().isoformat()}
            )

    async def _write_turns(self) -> None:
        while (entry := await self._queue.get()) is not None:
            try:
                await self.state.bridge.call(
                    calls.append_transcript(self.state.db, self.state.call_id, [entry]),
                    cancel_on_timeout=False,
                )
            except Exception:
                log.warning("could not store a transcript turn", call_id=self.state.call_id)

    def _on_close(self, event: CloseEvent) -> None:
        if event.reason == CloseReason.ERROR:
            self.failed = True
        self._closing = asyncio.ensure_future(self.finish())

    def outcome(self) -> CallOutcome:
        if self.failed and self.state.outcome is None:
            return CallOutcome.FAILED
        if self.state.outcome is not None:
            return self.state.outcome
        return CallOutcome.INFO if self.heard_caller else CallOutcome.ABANDONED

    async def finish(self) -> None:
        """Flush the transcript and write the outcome; every caller waits for the one write."""
        if self._finishing is None:
            self._finishing = asyncio.ensure_future(self._finish())
        await asyncio.shield(self._finishing)

    async def _finish(self) -> None:
        self.finished.set()
        metrics.CALLS_IN_PROGRESS.dec()
        metrics.CALLS.labels(outcome=self.outcome().value).inc()
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer, timeout=self.state.bridge.timeout)
        try:
            await self.state.bridge.call(
                calls.finish_call(self.state.db, self.state.call_id, self.outcome()),
                cancel_on_timeout=False,
            )
        except Exception:
            log.warning("could not store the call's outcome", call_id=self.state.call_id)

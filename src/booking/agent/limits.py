"""Calls end politely: after the maximum length (under Gemini Live's connection limit) and
after a long silence, the caller hears a sentence, then the line is dropped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from livekit.agents import AgentSession, ConversationItemAddedEvent, UserStateChangedEvent

from booking.agent.farewell import say_goodbye_and_hang_up

WARNING_BEFORE_END = 30.0
WRAP_UP = (
    "The call has reached its time limit. Tell the caller briefly that you need to end the call "
    "in a moment, and offer to take a message if anything is unfinished."
)
GOODBYE_TIME = "Say a short, polite goodbye now; the call is ending."
STILL_THERE = "The caller has been silent. Ask briefly whether they are still there."
GOODBYE_SILENCE = "The caller is still silent. Say a short goodbye; the call is ending."


class CallLimits:
    """Timers for one call: the maximum length, and "are you still there?" after a silence
    (LiveKit marks the caller away after USER_AWAY_TIMEOUT), then goodbye after another."""

    def __init__(
        self,
        session: AgentSession[Any],
        *,
        max_seconds: float,
        silence_seconds: float,
        hang_up: Callable[[], Awaitable[None]],
    ) -> None:
        self._session = session
        self._hang_up = hang_up
        self._max_seconds = max_seconds
        self._silence_seconds = silence_seconds
        self._ending = False
        self._timer: asyncio.Task[None] | None = None
        self._silence: asyncio.Task[None] | None = None
        session.on("user_state_changed", self._on_user_state)
        session.on("conversation_item_added", self._on_item)

    def start(self) -> None:
        self._timer = asyncio.create_task(self._length_limit(), name="call-length-limit")

    def stop(self) -> None:
        for task in (self._timer, self._silence):
            if task is not None:
                task.cancel()

    async def _length_limit(self) -> None:
        await asyncio.sleep(max(self._max_seconds - WARNING_BEFORE_END, 0))
        with contextlib.suppress(Exception):
            self._session.generate_reply(instructions=WRAP_UP)
        await asyncio.sleep(min(WARNING_BEFORE_END, self._max_seconds))
        await self._end(GOODBYE_TIME)

    def _caller_is_back(self) -> None:
        if self._silence is not None:
            self._silence.cancel()
            self._silence = None

    def _on_item(self, event: ConversationItemAddedEvent) -> None:
        if getattr(event.item, "role", None) == "user":
            self._caller_is_back()

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if event.new_state == "speaking":
            self._caller_is_back()
        elif event.new_state == "away" and self._silence is None and not self._ending:
            with contextlib.suppress(Exception):
                self._session.generate_reply(instructions=STILL_THERE)
            self._silence = asyncio.create_task(self._goodbye_after_silence())

    async def _goodbye_after_silence(self) -> None:
        await asyncio.sleep(self._silence_seconds)
        await self._end(GOODBYE_SILENCE)

    async def _end(self, instructions: str) -> None:
        if self._ending:
            return
        self._ending = True
        await say_goodbye_and_hang_up(self._session, instructions, self._hang_up)

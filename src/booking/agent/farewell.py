"""A call's last words, spoken once on either model path, and then the line is dropped.

LiveKit's `allow_interruptions=False` keeps a caller from cutting a goodbye short on a text
model, but Gemini Live detects turns on its own server and the plugin refuses the flag (with a
warning). There the caller's audio is stopped from reaching the model instead, so the server
never hears a barge-in while the goodbye plays; the line is dropped right after.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from livekit.agents import AgentSession, llm
from livekit.agents.voice import SpeechHandle

GOODBYE_PLAYOUT_SECONDS = 15.0


def speak_last(session: AgentSession[Any], instructions: str) -> SpeechHandle:
    """Ask the model for a final sentence that the caller cannot interrupt."""
    if isinstance(session.llm, llm.RealtimeModel):
        session.input.set_audio_enabled(False)
        return session.generate_reply(instructions=instructions)
    return session.generate_reply(instructions=instructions, allow_interruptions=False)


async def say_goodbye_and_hang_up(
    session: AgentSession[Any], instructions: str, hang_up: Callable[[], Awaitable[None]]
) -> None:
    """The goodbye, then the hang-up, which happens even if the model never answers."""
    with contextlib.suppress(Exception):
        handle = speak_last(session, instructions)
        await asyncio.wait_for(handle.wait_for_playout(), timeout=GOODBYE_PLAYOUT_SECONDS)
    await hang_up()

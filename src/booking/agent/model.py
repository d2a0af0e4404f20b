"""The one factory for the model a call talks through: Gemini Live in production.

The text-mode tests pass their own factory returning a scripted `llm.LLM`; the voice-path tests
use this very factory, pointed at a local Gemini Live stand-in through `GEMINI_BASE_URL`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from google.genai import types
from livekit.plugins import google  # plugins must be imported on the main thread
from livekit.plugins.google.realtime.realtime_api import RealtimeSession

from booking import metrics
from booking.config import Settings
from booking.logging import get_logger

log = get_logger(__name__)

ModelFactory = Callable[[], Any]
Recap = Callable[[], str]

# Gemini Live ends an audio session after about 15 minutes unless the server may compress the
# oldest turns; with a sliding window a call is bounded by the business's maximum call length.
COMPRESSION_TRIGGER_TOKENS = 25_600
# Gemini refuses a first connection at times (1011 before setupComplete); the plugin does not
# retry one, so a call would end before it began. Three more tries, about 2.5 s in all.
FIRST_CONNECT_RETRY_DELAYS = (0.3, 0.7, 1.5)


def context_compression() -> types.ContextWindowCompressionConfig:
    return types.ContextWindowCompressionConfig(
        trigger_tokens=COMPRESSION_TRIGGER_TOKENS, sliding_window=types.SlidingWindow()
    )


class CallRealtimeModel(google.realtime.RealtimeModel):
    """Gemini Live whose every new connection carries what the call has established.

    The plugin opens a new connection after `goAway`, a dropped socket or an error. Without a
    resumption handle it replays the conversation as text only, so the options offered (tool
    results) are lost to the model; with one, the server's snapshot may predate the last tool
    result. Each connection's system instruction therefore ends with the call's recap: the
    open options, the caller, what was booked. It is sent once per connection, never as a turn,
    so the history is not duplicated.
    """

    def __init__(
        self, *, retry_delays: tuple[float, ...] = FIRST_CONNECT_RETRY_DELAYS, **options: Any
    ) -> None:
        super().__init__(**options)
        self.recap: Recap = lambda: ""
        self.retry_delays = retry_delays
        self.connections = 0  # connections Gemini accepted over the call, reconnects included

    def session(self, *, turn_detection_disabled: bool = False) -> CallRealtimeSession:
        session = CallRealtimeSession(self)
        self._sessions.add(session)
        return session


class CallRealtimeSession(RealtimeSession):
    """One model session of a call; adds the recap to each connection's instructions."""

    def __init__(self, model: CallRealtimeModel) -> None:
        super().__init__(model)
        self._call_model = model
        # The one seam for retrying: the plugin opens every connection through `live.connect`.
        self._client.aio._live = _RetryingLive(self._client.aio._live, model)  # type: ignore[assignment]

    def _build_connect_config(self) -> types.LiveConnectConfig:
        config: types.LiveConnectConfig = super()._build_connect_config()
        recap = self._call_model.recap()
        instructions = self._opts.instructions
        if recap and isinstance(instructions, str):
            config.system_instruction = types.Content(
                parts=[types.Part(text=f"{instructions}\n\n{recap}")]
            )
        return config


class _RetryingLive:
    """google-genai's `live` with a first connection that is tried again before giving up;
    later connections are the plugin's to retry. Counts the connections Gemini accepted."""

    def __init__(self, live: Any, model: CallRealtimeModel) -> None:
        self._live = live
        self._model = model

    @contextlib.asynccontextmanager
    async def connect(self, *, model: str, config: Any) -> AsyncIterator[Any]:
        delays = () if self._model.connections else self._model.retry_delays
        for attempt, delay in enumerate((*delays, None)):
            opening = self._live.connect(model=model, config=config)
            try:
                session = await opening.__aenter__()
                break
            except Exception as exc:
                if delay is None:
                    raise
                metrics.MODEL_TROUBLE.labels(event="connect_retried").inc()
                log.warning(
                    "gemini refused to connect; trying again",
                    attempt=attempt + 1,
                    error=str(exc)[:200],
                )
                await asyncio.sleep(delay)
        self._model.connections += 1
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_exit(opening.__aexit__)
            try:
                yield session
            finally:
                # The plugin ends a session by cancelling its task; left to websockets, that
                # exception closes the socket with 1011 (an error). A call that ends, or a
                # connection being renewed, is a normal close: 1000.
                with contextlib.suppress(Exception):
                    await session.close()


def gemini_factory(settings: Settings) -> ModelFactory:
    """A factory building a Gemini Live `RealtimeModel` from the settings (offline-safe)."""
    if settings.google_api_key is None:
        raise ValueError("GOOGLE_API_KEY is required for the phone agent")
    api_key = settings.google_api_key.get_secret_value()

    def build() -> CallRealtimeModel:
        options: dict[str, Any] = {}
        if settings.agent_language:
            options["language"] = settings.agent_language
        if settings.gemini_base_url:
            options["http_options"] = types.HttpOptions(base_url=settings.gemini_base_url)
        return CallRealtimeModel(
            model=settings.gemini_model,
            voice=settings.gemini_voice,
            temperature=settings.gemini_temperature,
            api_key=api_key,
            context_window_compression=context_compression(),
            **options,
        )

    return build

"""The one factory for the model a call talks through: Gemini Live in production.

The text-mode tests pass their own factory returning a scripted `llm.LLM`; the voice-path tests
use this very factory, pointed at a local Gemini Live stand-in through `GEMINI_BASE_URL`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.genai import types
from livekit.plugins import google  # plugins must be imported on the main thread
from livekit.plugins.google.realtime.realtime_api import RealtimeSession

from booking.config import Settings

ModelFactory = Callable[[], Any]
Recap = Callable[[], str]

# Gemini Live ends an audio session after about 15 minutes unless the server may compress the
# oldest turns; with a sliding window a call is bounded by the business's maximum call length.
COMPRESSION_TRIGGER_TOKENS = 25_600


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

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.recap: Recap = lambda: ""

    def session(self, *, turn_detection_disabled: bool = False) -> CallRealtimeSession:
        session = CallRealtimeSession(self)
        self._sessions.add(session)
        return session


class CallRealtimeSession(RealtimeSession):
    """One model session of a call; adds the recap to each connection's instructions."""

    def __init__(self, model: CallRealtimeModel) -> None:
        super().__init__(model)
        self._call_model = model

    def _build_connect_config(self) -> types.LiveConnectConfig:
        config: types.LiveConnectConfig = super()._build_connect_config()
        recap = self._call_model.recap()
        instructions = self._opts.instructions
        if recap and isinstance(instructions, str):
            config.system_instruction = types.Content(
                parts=[types.Part(text=f"{instructions}\n\n{recap}")]
            )
        return config


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

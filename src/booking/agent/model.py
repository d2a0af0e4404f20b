"""The one factory for the model a call talks through: Gemini Live in production.

The text-mode tests pass their own factory returning a scripted `llm.LLM`; the voice-path tests
use this very factory, pointed at a local Gemini Live stand-in through `GEMINI_BASE_URL`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.genai import types
from livekit.plugins import google  # plugins must be imported on the main thread

from booking.config import Settings

ModelFactory = Callable[[], Any]

# Gemini Live ends an audio session after about 15 minutes unless the server may compress the
# oldest turns; with a sliding window a call is bounded by the business's maximum call length.
COMPRESSION_TRIGGER_TOKENS = 25_600


def context_compression() -> types.ContextWindowCompressionConfig:
    return types.ContextWindowCompressionConfig(
        trigger_tokens=COMPRESSION_TRIGGER_TOKENS, sliding_window=types.SlidingWindow()
    )


def gemini_factory(settings: Settings) -> ModelFactory:
    """A factory building a Gemini Live `RealtimeModel` from the settings (offline-safe)."""
    if settings.google_api_key is None:
        raise ValueError("GOOGLE_API_KEY is required for the phone agent")
    api_key = settings.google_api_key.get_secret_value()

    def build() -> google.realtime.RealtimeModel:
        options: dict[str, Any] = {}
        if settings.agent_language:
            options["language"] = settings.agent_language
        if settings.gemini_base_url:
            options["http_options"] = types.HttpOptions(base_url=settings.gemini_base_url)
        return google.realtime.RealtimeModel(
            model=settings.gemini_model,
            voice=settings.gemini_voice,
            temperature=settings.gemini_temperature,
            api_key=api_key,
            context_window_compression=context_compression(),
            **options,
        )

    return build

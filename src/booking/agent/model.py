"""The one factory for the model a call talks through: Gemini Live in production.

Tests pass their own factory returning a scripted `llm.LLM`; nothing else differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from livekit.plugins import google  # plugins must be imported on the main thread

from booking.config import Settings

ModelFactory = Callable[[], Any]


def gemini_factory(settings: Settings) -> ModelFactory:
    """A factory building a Gemini Live `RealtimeModel` from the settings (offline-safe)."""
    if settings.google_api_key is None:
        raise ValueError("GOOGLE_API_KEY is required for the phone agent")
    api_key = settings.google_api_key.get_secret_value()

    def build() -> google.realtime.RealtimeModel:
        options: dict[str, Any] = {}
        if settings.agent_language:
            options["language"] = settings.agent_language
        return google.realtime.RealtimeModel(
            model=settings.gemini_model,
            voice=settings.gemini_voice,
            temperature=settings.gemini_temperature,
            api_key=api_key,
            **options,
        )

    return build

"""The one factory for the model a call talks through: Gemini Live in production.

The text-mode tests pass their own factory returning a scripted `llm.LLM`; the voice-path tests
use this very factory, pointed at a local Gemini Live stand-in through `GEMINI_BASE_URL`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
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
        # When the model was last asked to answer (a finished turn, a tool response) and has
        # not said or done anything since; None while nothing is owed. The stall watchdog
        # reads it.
        self.awaiting_since: float | None = None
        self._live_session: Any = None
        # Tool calls Gemini took back (the caller spoke over a blocking call): their results
        # may never be read by the model, so the tools tell it another way.
        self.cancelled_calls: set[str] = set()
        self._connected = asyncio.Event()

    def expect_reply(self) -> None:
        self.awaiting_since = time.monotonic()

    def heard_reply(self) -> None:
        self.awaiting_since = None

    async def renew_connection(self, within: float = 5.0) -> bool:
        """Close the current connection (normally) and wait for the plugin to open a new one,
        which carries the call's recap. False when none came."""
        self._connected.clear()
        if self._live_session is not None:
            await self._live_session.close()
        try:
            await asyncio.wait_for(self._connected.wait(), within)
        except TimeoutError:
            return False
        return True

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
        watched = _WatchedSession(session, self._model)
        self._model._live_session = watched
        self._model._connected.set()
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_exit(opening.__aexit__)
            try:
                yield watched
            finally:
                # The plugin ends a session by cancelling its task; left to websockets, that
                # exception closes the socket with 1011 (an error). A call that ends, or a
                # connection being renewed, is a normal close: 1000.
                with contextlib.suppress(Exception):
                    await session.close()


class _WatchedSession:
    """A google-genai live session that tells the model when a reply is owed and when one
    came, so a model that goes quiet can be noticed."""

    def __init__(self, session: Any, model: CallRealtimeModel) -> None:
        self._session = session
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    # A reply is owed from before the frame leaves: Gemini may answer before the send returns.
    async def send_client_content(self, **content: Any) -> None:
        if content.get("turn_complete", True):
            self._model.expect_reply()
        await self._session.send_client_content(**content)

    async def send_tool_response(self, **response: Any) -> None:
        self._model.expect_reply()
        await self._session.send_tool_response(**response)

    async def receive(self) -> AsyncIterator[Any]:
        async for message in self._session.receive():
            content = message.server_content
            if message.tool_call or (
                content is not None
                and (
                    content.model_turn
                    or (content.output_transcription and content.output_transcription.text)
                )
            ):
                self._model.heard_reply()
            if message.tool_call_cancellation:
                self._model.cancelled_calls.update(message.tool_call_cancellation.ids or [])
            elif content is not None and (
                content.input_transcription and content.input_transcription.text
            ):
                # The caller is speaking (Gemini transcribes as they go): from their last
                # word on, the model owes them an answer.
                self._model.expect_reply()
            yield message

    async def close(self) -> None:
        await self._session.close()


def speech_detection(settings: Settings) -> types.RealtimeInputConfig:
    """Gemini's detection of the caller's speech, tuned for phone lines: a low start
    sensitivity so line hiss and breaths are not taken for words, and a short silence (with
    a high end sensitivity) so the reply starts soon after the caller stops."""
    start = {
        "low": types.StartSensitivity.START_SENSITIVITY_LOW,
        "high": types.StartSensitivity.START_SENSITIVITY_HIGH,
    }[settings.speech_start_sensitivity]
    end = {
        "low": types.EndSensitivity.END_SENSITIVITY_LOW,
        "high": types.EndSensitivity.END_SENSITIVITY_HIGH,
    }[settings.speech_end_sensitivity]
    return types.RealtimeInputConfig(
        automatic_activity_detection=types.AutomaticActivityDetection(
            start_of_speech_sensitivity=start,
            end_of_speech_sensitivity=end,
            silence_duration_ms=settings.speech_end_silence_ms,
            prefix_padding_ms=settings.speech_prefix_padding_ms,
        )
    )


def vertex_credentials(settings: Settings) -> Any:
    """The service account key named by GOOGLE_APPLICATION_CREDENTIALS."""
    from google.oauth2 import service_account

    return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        settings.google_application_credentials,
        scopes=["https://www.googleapis.com/auth/cloud-platform"],
    )


def gemini_factory(settings: Settings, *, credentials: Any = None) -> ModelFactory:
    """A factory building the Gemini Live model from the settings (offline-safe): the AI
    Studio key, or Vertex AI with a service account (`credentials` lets tests pass their own)."""
    options: dict[str, Any] = {}
    if settings.google_genai_use_vertexai:
        options.update(
            vertexai=True,
            project=settings.google_cloud_project,
            location=settings.google_cloud_location,
            credentials=credentials or vertex_credentials(settings),
        )
    elif settings.google_api_key is None:
        raise ValueError("GOOGLE_API_KEY is required for the phone agent")
    else:
        options.update(vertexai=False, api_key=settings.google_api_key.get_secret_value())
    if settings.agent_language:
        options["language"] = settings.agent_language
    if settings.gemini_base_url:
        options["http_options"] = types.HttpOptions(base_url=settings.gemini_base_url)

    def build() -> CallRealtimeModel:
        return CallRealtimeModel(
            model=settings.gemini_model,
            voice=settings.gemini_voice,
            temperature=settings.gemini_temperature,
            context_window_compression=context_compression(),
            realtime_input_config=speech_detection(settings),
            # Every model, and the plugin's default for 3.8 is NON_BLOCKING: the model would
            # keep talking while a booking is written, and may say "booked" before it is.
            tool_behavior=types.Behavior.BLOCKING,
            **options,
        )

    return build

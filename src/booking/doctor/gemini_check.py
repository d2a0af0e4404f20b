"""Gemini Live accepts a `setup` for the configured model carrying the receptionist's tools.

The check opens one session exactly as a call does: the model from the production factory
(`gemini_factory`), a real `AgentSession` made by `booking.agent.call.new_session`, and the
`Receptionist` made by `new_receptionist` for a business from the database (or a stand-in
business when there is none). The session sends the same `setup` a caller's call would (model,
instructions, tool declarations, speech settings), so what Gemini refuses here it would refuse
on a call. Calling the plugin's session by hand (`update_tools`, `update_instructions`) would
rebuild that sequence and drift from it. The receptionist does not greet, so nothing is spoken
and no tool runs; the session is closed once Gemini has answered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from booking.config import Settings
from booking.db import Database
from booking.doctor.result import CheckResult, failed, passed
from booking.services.businesses import BusinessInfo

GEMINI_WAIT_SECONDS = 10.0
SERVED_MODEL = "gemini-3.8-live"
KEY_ADVICE = (
    "check GOOGLE_API_KEY (a Gemini API key from Google AI Studio, with the Generative "
    "Language API allowed)"
)
VERTEX_ADVICE = (
    "check GOOGLE_APPLICATION_CREDENTIALS (a service account key with the Vertex AI User role), "
    "GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION"
)

# A business to build the instructions from when the database has none (or cannot be read).
SAMPLE_BUSINESS = BusinessInfo(
    id=0,
    name="Sample business",
    timezone="UTC",
    default_region="US",
    slot_step_minutes=15,
    min_notice_minutes=60,
    horizon_days=60,
    cancellation_cutoff_minutes=120,
    transfer_number=None,
    max_call_seconds=480,
    numbers=(),
    closures=(),
)


async def check_gemini(
    settings: Settings,
    db: Database,
    business: BusinessInfo | None,
    within: float = GEMINI_WAIT_SECONDS,
) -> CheckResult:
    """One Live session as a call opens it: green when Gemini sends setupComplete, red with
    the reason when it closes the socket instead, or says nothing for `within` seconds."""
    try:
        model = _build_model(settings)
    except Exception as exc:  # a missing key, an unreadable service-account file
        return failed("gemini", f"cannot build the Gemini client: {exc}", _credentials(settings))
    session, receptionist, refusal = _open_session(settings, db, business or SAMPLE_BUSINESS, model)
    try:
        await session.start(receptionist)
        answered = await _wait(model, refusal, within)
    except Exception as exc:  # the session could not even start: report it as a refusal
        refusal.error, answered = refusal.error or exc, False
    finally:
        await session.aclose()
    if answered:
        return passed(
            "gemini",
            f"Gemini accepted a Live session for {settings.gemini_model!r} with the receptionist's "
            "tools",
        )
    if refusal.error is None:
        return failed(
            "gemini",
            f"no answer from Gemini Live within {within:g} s",
            "check that this machine reaches Google (generativelanguage.googleapis.com, or "
            "Vertex AI), then run the doctor again",
        )
    return classify(refusal.error, settings)


def _build_model(settings: Settings) -> Any:
    from booking.agent.model import gemini_factory

    model = gemini_factory(settings)()
    # A call retries a refused first connection (Gemini refuses one at times); the doctor
    # reports the first refusal at once, with its reason.
    model.retry_delays = ()
    return model


class _Refusal:
    """The session's first unrecoverable error: Gemini closed the socket instead of
    answering the setup."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.failed = asyncio.Event()

    def on_error(self, event: Any) -> None:
        error = getattr(event, "error", None)
        if error is None or getattr(error, "recoverable", False) or self.error is not None:
            return
        self.error = getattr(error, "error", None) or error
        self.failed.set()


def _open_session(
    settings: Settings, db: Database, business: BusinessInfo, model: Any
) -> tuple[Any, Any, _Refusal]:
    from livekit.agents import TurnHandlingOptions

    from booking.agent.bridge import ServiceBridge
    from booking.agent.call import CallRuntime, new_receptionist, new_session
    from booking.agent.state import CallState
    from booking.models import utcnow

    runtime = CallRuntime(
        db=db,
        bridge=ServiceBridge(asyncio.get_running_loop(), settings.tool_timeout_seconds),
        settings=settings,
        model_factory=lambda: model,
    )
    state = CallState(
        bridge=runtime.bridge,
        db=db,
        business=business,
        call_id=0,  # no call row: nothing is written
        caller_number=None,
        dialled_number=None,
        customer=None,
        clock=utcnow,
    )
    session = new_session(
        runtime, state, vad=None, turn_handling=TurnHandlingOptions(turn_detection=None)
    )
    refusal = _Refusal()
    session.on("error", refusal.on_error)
    return session, new_receptionist(runtime, state, [], greet=False), refusal


async def _wait(model: Any, refusal: _Refusal, within: float) -> bool:
    """True once Gemini accepted the connection (`model.connections` counts setupComplete)."""
    try:
        async with asyncio.timeout(within):
            while not model.connections:
                if refusal.failed.is_set():
                    return False
                await asyncio.sleep(0.02)
    except TimeoutError:
        return False
    return True


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _code_of(error: BaseException) -> int | None:
    """A websocket close code (google-genai's APIError) or an HTTP status (handshake)."""
    for link in _chain(error):
        code = getattr(link, "code", None)
        if isinstance(code, int):
            return code
        response = getattr(link, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def _reason(error: BaseException) -> str:
    """The server's close reason (google-genai keeps it as `details`), else the message."""
    for link in _chain(error):
        details = getattr(link, "details", None)
        if isinstance(details, str) and details:
            return details[:300]
    return (str(error) or type(error).__name__)[:300]


def _credentials(settings: Settings) -> str:
    return VERTEX_ADVICE if settings.google_genai_use_vertexai else KEY_ADVICE


def classify(error: BaseException, settings: Settings) -> CheckResult:
    """Turn Gemini's refusal into what to change: the model name, the key, or nothing of ours."""
    code, reason = _code_of(error), _reason(error)
    key_refused = "api key" in reason.lower() or "permission" in reason.lower()
    if code in (401, 403) or (code == 1008 and key_refused):
        detail = f"Gemini refused the credentials ({reason})"
        return failed("gemini", detail, _credentials(settings))
    if code == 1008:
        return failed(
            "gemini",
            f"Gemini refused the model (1008: {reason})",
            f"GEMINI_MODEL {settings.gemini_model!r} is not served; use {SERVED_MODEL}",
        )
    if code == 1007:
        return failed(
            "gemini",
            f"Gemini refused the session's tool declarations (1007: {reason})",
            f"this version's tools do not suit {settings.gemini_model!r}: use {SERVED_MODEL} "
            "(tested), or report it with this line",
        )
    if code is None and any(isinstance(link, OSError) for link in _chain(error)):
        return failed(
            "gemini",
            f"cannot reach Gemini Live ({reason})",
            "check that this machine reaches Google (generativelanguage.googleapis.com, or "
            "Vertex AI) through any firewall or proxy",
        )
    return failed(
        "gemini",
        f"Gemini Live refused the session ({reason})",
        "a passing refusal (1011) clears by itself: run the doctor again; otherwise check the "
        "network to Google and " + _credentials(settings),
    )

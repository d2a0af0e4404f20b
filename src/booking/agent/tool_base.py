"""What every receptionist tool shares: running a tool body so that errors become one
sentence and the call log gets a row, the bridge to the service layer, the caller checks, and the
small parsers of what the model sends. The tools themselves live by capability: booking
(`booking_tools`), the caller's account (`account_tools`), the business's information
(`info_tools`) and the line itself (`line_tools`).
"""

from __future__ import annotations

import time as clock_time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from livekit.agents import Agent, RunContext, ToolError

from booking import errors, metrics
from booking.agent.model import CallRealtimeModel
from booking.agent.sentences import sentence_for
from booking.agent.speech import spoken_slot
from booking.agent.state import CallState
from booking.logging import get_logger
from booking.models import MAX_ID
from booking.services import calls
from booking.services.appointments import AppointmentInfo
from booking.services.localtime import parse_date

log = get_logger(__name__)

BAD_NUMBER = "That does not sound like a valid phone number. Ask the caller to repeat it."


class ToolBase(Agent):
    """The plumbing under the receptionist's tools; `state` is the call's."""

    state: CallState

    async def _service(self, coroutine: Any, *, write: bool = False) -> Any:
        return await self.state.bridge.call(coroutine, cancel_on_timeout=not write)

    async def _run(
        self, name: str, arguments: dict[str, Any], work: Callable[[], Awaitable[str]]
    ) -> str:
        """Run a tool body: errors become one sentence, and the call log gets a row."""
        started = clock_time.perf_counter()
        result: str | None = None
        error: str | None = None
        try:
            if any(isinstance(value, str) and "\x00" in value for value in arguments.values()):
                # No database stores U+0000 in text (PostgreSQL refuses it outright).
                raise ToolError("Part of that text could not be read. Ask the caller to repeat it.")
            result = await work()
            return result
        except ToolError as exc:
            error = exc.message
            raise
        except errors.BookingError as exc:
            error = sentence_for(exc)
            raise ToolError(error) from None
        except Exception as exc:
            log.exception("tool failed", tool=name, call_id=self.state.call_id)
            error = sentence_for(exc)
            raise ToolError(error) from None
        finally:
            elapsed = clock_time.perf_counter() - started
            metrics.TOOL_LATENCY.labels(tool=name).observe(elapsed)
            await self.log_tool_call(name, arguments, result, error, elapsed * 1000)

    async def log_tool_call(
        self,
        name: str,
        arguments: dict[str, Any],
        result: str | None,
        error: str | None,
        latency_ms: float,
    ) -> None:
        try:
            await self._service(
                calls.record_tool_call(
                    self.state.db,
                    self.state.call_id,
                    name=name,
                    arguments=arguments,
                    result=result,
                    error=error,
                    latency_ms=latency_ms,
                ),
                write=True,
            )
        except Exception:  # the call log must never break the call
            log.warning("could not record tool call", tool=name, call_id=self.state.call_id)

    async def tell_model_after_cancel(self, context: RunContext[CallState], outcome: str) -> None:
        """Gemini took this tool call back while it ran (the caller spoke over it) and may
        ignore its result. What happened (a booking that stood, or one that failed) is then
        added to the model's context as a note, without asking for a reply, so it neither
        books again nor tells the caller it failed. The recap carries a booking to any new
        connection too."""
        model = self.session.llm
        call = context.function_call
        if not isinstance(model, CallRealtimeModel) or call.call_id not in model.cancelled_calls:
            return
        note = f"(Note: the caller spoke over my {call.name} call; it finished anyway: {outcome})"
        try:
            chat_ctx = self.chat_ctx.copy()
            chat_ctx.add_message(role="assistant", content=note)
            await self.update_chat_ctx(chat_ctx)
        except Exception:
            log.warning("could not tell the model", tool=call.name, call_id=self.state.call_id)

    def _require_customer(self) -> int:
        if self.state.customer is None:
            raise ToolError(
                "I don't have the caller's details yet. Ask for their name"
                + ("" if self.state.verified else " and a callback number")
                + ", then call create_new_customer."
            )
        return self.state.customer.id

    def _require_verified(self) -> int:
        if not self.state.verified:
            raise ToolError(
                "The caller's number is withheld, so I can't look at or change existing "
                "appointments on this call. Offer to take a message instead."
            )
        return self._require_customer()


def said(text: str, limit: int = 40) -> str:
    """What the model sent, short enough to repeat back to it in a sentence."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def model_date(text: str) -> date:
    """An ISO date from the model; anything else is refused without echoing all of it."""
    try:
        return parse_date(text, "date")
    except errors.InvalidInput:
        raise ToolError(
            f"{said(text)!r} is not a date. Use YYYY-MM-DD, as in the day table."
        ) from None


def check_id(appointment_id: int) -> None:
    """An appointment number no row can have is not found, as an unknown one is."""
    if not 0 < appointment_id <= MAX_ID:
        raise errors.NotFound("appointment", appointment_id)


def describe(appointment: AppointmentInfo) -> str:
    when = spoken_slot(appointment.local_date, appointment.local_time, appointment.staff_name)
    what = f" ({appointment.service_name})" if appointment.service_name else ""
    return f"Appointment {appointment.id}: {when}{what}."

"""When Gemini cannot be reached at all, the caller gets a person or a call back, never silence.

The first connection is already retried (`model.CallRealtimeModel`); if every try fails the
session closes with an error before a word was said. Then the caller is transferred to the
business's transfer number when it has one, the team gets a "missed call, please ring back"
message with the caller's number (fired as `message.taken`), and the call is logged as
`model_unavailable`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from livekit.agents import AgentSession, CloseEvent, CloseReason

from booking import metrics
from booking.agent.model import CallRealtimeModel
from booking.agent.state import CallState
from booking.logging import get_logger
from booking.models import CallOutcome
from booking.services import calls

log = get_logger(__name__)

MISSED_CALL = (
    "Missed call: the receptionist could not answer because the voice service was unreachable. "
    "Please ring back."
)


class ModelOutage:
    """Watches one call's session for a model that never connected, and handles it."""

    def __init__(self, session: AgentSession[Any], state: CallState, model: Any) -> None:
        self._state = state
        self._model = model
        self._handling: asyncio.Future[None] | None = None
        session.on("close", self._on_close)

    def _on_close(self, event: CloseEvent) -> None:
        model = self._model
        if (
            event.reason == CloseReason.ERROR
            and isinstance(model, CallRealtimeModel)
            and model.connections == 0
        ):
            # Set now, before the recorder (also closing) writes the outcome.
            self._state.note(CallOutcome.MODEL_UNAVAILABLE)
            if self._handling is None:
                self._handling = asyncio.ensure_future(self._handle())

    async def take_over(self) -> None:
        """The model stopped answering mid-call: handle the call as if it never connected."""
        self._state.note(CallOutcome.MODEL_UNAVAILABLE)
        if self._handling is None:
            self._handling = asyncio.ensure_future(self._handle())
        await self.settled()

    async def settled(self) -> None:
        """Wait for the transfer and the message, before the line is dropped."""
        if self._handling is not None:
            await asyncio.shield(self._handling)

    async def _handle(self) -> None:
        state = self._state
        metrics.MODEL_TROUBLE.labels(event="model_unavailable").inc()
        log.error("gemini unreachable; missed call", call_id=state.call_id)
        number = state.business.transfer_number
        if number and state.transfer is not None:
            try:
                await state.transfer(number)
            except Exception:
                log.exception("could not transfer the caller", call_id=state.call_id)
        try:
            await state.bridge.call(
                calls.take_message(
                    state.db,
                    state.business.id,
                    body=MISSED_CALL,
                    caller_name=state.customer.name if state.customer else "",
                    callback_number=state.caller_number,
                    customer_id=state.customer.id if state.customer else None,
                    call_id=state.call_id,
                    now=state.clock(),
                ),
                cancel_on_timeout=False,
            )
        except Exception:
            log.exception("could not store the missed-call message", call_id=state.call_id)

"""The receptionist's tools for the line itself: taking a message, transferring to a person,
hanging up."""

from __future__ import annotations

import asyncio

from livekit.agents import RunContext, StopResponse, ToolError

from booking import errors
from booking.agent.state import CallState
from booking.agent.tool_arguments import checked_tool
from booking.agent.tool_base import BAD_NUMBER, ToolBase
from booking.models import CallOutcome
from booking.services import calls
from booking.services.phones import normalize_phone

END_CALL_GRACE_SECONDS = 5.0


class LineTools(ToolBase):
    @checked_tool
    async def take_message(
        self,
        context: RunContext[CallState],
        message: str,
        caller_name: str | None = None,
        callback_number: str | None = None,
    ) -> str:
        """Leave a message for the staff, who will call back.

        Args:
            message: What the caller wants, in a sentence or two.
            caller_name: The caller's name if known.
            callback_number: Only when the caller's number is withheld: the number they say.
        """

        async def work() -> str:
            state = self.state
            number = state.caller_number
            if number is None and callback_number:
                try:
                    number = normalize_phone(callback_number, state.business.default_region)
                except errors.InvalidInput:
                    raise ToolError(BAD_NUMBER) from None
            name = state.customer.name if state.customer else (caller_name or "")
            context.disallow_interruptions()
            await self._service(
                calls.take_message(
                    state.db,
                    state.business.id,
                    body=message,
                    caller_name=name,
                    callback_number=number,
                    customer_id=state.customer.id if state.customer else None,
                    call_id=state.call_id,
                    now=state.clock(),
                ),
                write=True,
            )
            state.note(CallOutcome.MESSAGE)
            state.remember("A message for the team was saved.")
            return "The message is saved; the team will call back."

        return await self._run(
            "take_message",
            {"message": message, "caller_name": caller_name, "callback_number": callback_number},
            work,
        )

    @checked_tool
    async def transfer_to_human(self, context: RunContext[CallState]) -> str:
        """Transfer the caller to a person at the business, when they ask for one or you cannot
        help. Tell the caller you are transferring them before calling this."""

        async def work() -> str:
            state = self.state
            number = state.business.transfer_number
            if not number or state.transfer is None:
                raise ToolError("Nobody can take the call right now. Offer to take a message.")
            context.disallow_interruptions()
            await state.transfer(number)
            state.note(CallOutcome.TRANSFERRED)
            return "Transferring now."

        return await self._run("transfer_to_human", {}, work)

    @checked_tool
    async def end_call(self, context: RunContext[CallState]) -> None:
        """Hang up. Call this only after you have said goodbye and the caller needs nothing else."""

        async def work() -> str:
            session = self.session
            context.speech_handle.add_done_callback(lambda _: session.shutdown())
            # Gemini may answer end_call with yet another tool call, or with nothing at all:
            # the line is dropped regardless.
            asyncio.get_running_loop().call_later(END_CALL_GRACE_SECONDS, session.shutdown)
            return "Call ending."

        await self._run("end_call", {}, work)
        raise StopResponse()

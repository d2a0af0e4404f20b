"""The receptionist Agent. Each tool's docstring is its contract with the model.

Tools never take a customer id or phone number from the model when caller ID gave one, book
only option ids offered in this call, and always answer, errors included, within the bridge's
timeout. Every tool call is written to the call log with its arguments, result and latency.
The tools live by capability in `booking_tools`, `account_tools`, `info_tools` and
`line_tools`, over the plumbing in `tool_base`.
"""

from __future__ import annotations

from typing import Any

from booking.agent.account_tools import AccountTools
from booking.agent.booking_tools import BookingTools
from booking.agent.info_tools import InfoTools
from booking.agent.line_tools import LineTools
from booking.agent.prompts import build_instructions, greeting_instructions
from booking.agent.state import CallState
from booking.services.appointments import AppointmentInfo


class Receptionist(BookingTools, AccountTools, InfoTools, LineTools):
    def __init__(
        self,
        state: CallState,
        upcoming: list[AppointmentInfo],
        *,
        transcription_notice: str = "",
        greet: bool = True,
        extra_tools: list[Any] | None = None,
    ) -> None:
        super().__init__(
            instructions=build_instructions(
                state.business, state.today(), state.customer, state.verified, upcoming
            ),
            tools=extra_tools or [],
        )
        self.state = state
        self._notice = transcription_notice
        self._greet = greet

    async def on_enter(self) -> None:
        if self._greet:
            self.session.generate_reply(
                instructions=greeting_instructions(
                    self.state.business, self.state.customer, self.state.verified, self._notice
                )
            )

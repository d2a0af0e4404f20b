"""The receptionist's tool for questions about the business: only what the business has on
file is ever said (`business_info.answer`)."""

from __future__ import annotations

from livekit.agents import RunContext

from booking.agent.business_info import Topic
from booking.agent.business_info import answer as answer_about_business
from booking.agent.state import CallState
from booking.agent.tool_arguments import checked_tool
from booking.agent.tool_base import ToolBase, model_date


class InfoTools(ToolBase):
    @checked_tool
    async def business_info(
        self,
        context: RunContext[CallState],
        topic: Topic,
        date: str | None = None,
        question: str | None = None,
    ) -> str:
        """Look up the business's own answer to a caller's question. Never state an opening
        hour, a price, an address or a policy that this tool did not give you in this call.

        Args:
            topic: hours (open hours of a day, or of the next seven days without a date),
                services (what we offer, how long each takes, prices), address (where we are,
                directions and parking), policies (cancelling, notice, how far ahead we book),
                question (anything else; give the question).
            date: For hours: the day, ISO YYYY-MM-DD from the day table.
            question: For question: the caller's question in a few words.
        """

        async def work() -> str:
            state = self.state
            day = model_date(date) if date else None
            return await answer_about_business(
                self._service, state.business.id, state.db, state.today(), topic, day, question
            )

        return await self._run(
            "business_info", {"topic": topic, "date": date, "question": question}, work
        )

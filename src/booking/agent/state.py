"""What one call knows: the business, the caller, the options offered, and what happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from booking.agent.bridge import ServiceBridge
from booking.db import Database
from booking.models import CallOutcome
from booking.services.businesses import BusinessInfo
from booking.services.customers import CustomerInfo

# Which outcome a call is remembered by when several things happened: the strongest wins.
_OUTCOME_RANK = [
    CallOutcome.INFO,
    CallOutcome.TRANSFERRED,
    CallOutcome.MESSAGE,
    CallOutcome.CANCELLED,
    CallOutcome.RESCHEDULED,
    CallOutcome.BOOKED,
    CallOutcome.MODEL_UNAVAILABLE,
]


@dataclass(frozen=True)
class OfferedOption:
    """A free time read to the caller; booking takes its id, never a time from the model."""

    id: str
    staff_id: int
    staff_name: str
    service_id: int | None
    service_name: str | None
    duration_minutes: int
    local_date: date
    local_time: time
    spoken: str


@dataclass
class CallState:
    bridge: ServiceBridge
    db: Database
    business: BusinessInfo
    call_id: int
    caller_number: str | None  # E.164 from caller ID; None when withheld
    dialled_number: str | None
    customer: CustomerInfo | None
    clock: Callable[[], datetime]
    default_staff_id: int | None = None
    transfer: Callable[[str], Awaitable[None]] | None = None
    options: dict[str, OfferedOption] = field(default_factory=dict)
    outcome: CallOutcome | None = None
    # What the call has done so far, in sentences, for a model connection that starts afresh.
    events: list[str] = field(default_factory=list)
    used_options: set[str] = field(default_factory=set)
    _option_counter: int = 0

    @property
    def verified(self) -> bool:
        """Caller ID gave a number; only then may the caller see or change appointments."""
        return self.caller_number is not None

    def today(self) -> date:
        return self.clock().astimezone(self.business.zone).date()

    def offer(self, option: OfferedOption) -> OfferedOption:
        self.options[option.id] = option
        return option

    def next_option_id(self) -> str:
        self._option_counter += 1
        return f"T{self._option_counter}"

    def remember(self, event: str, *, used_option: str | None = None) -> None:
        """Something done in this call that a renewed model connection must know about."""
        self.events.append(event)
        if used_option is not None:
            self.used_options.add(used_option)

    def recap(self) -> str:
        """What the call has established, for a model connection that starts afresh (after
        Gemini drops or renews the connection, the conversation may come back as text only,
        without the tool results that held the options offered)."""
        lines = []
        if self.customer is not None:
            lines.append(f"- The caller is on file as {self.customer.name}.")
        lines += [f"- {event}" for event in self.events]
        still_open = [o for key, o in self.options.items() if key not in self.used_options]
        if still_open:
            lines.append("- Times offered and still open (book them by these option ids):")
            lines += [f"  {o.id}: {o.spoken}" for o in still_open]
        if not lines:
            return ""
        return (
            "Earlier in this call (your connection was renewed; carry on from where the "
            "conversation was, without greeting the caller again):\n" + "\n".join(lines)
        )

    def note(self, outcome: CallOutcome) -> None:
        if self.outcome is None or _OUTCOME_RANK.index(outcome) > _OUTCOME_RANK.index(self.outcome):
            self.outcome = outcome

"""What the outbox hands a channel: one delivery due now, and what sending it came to; and
what a channel (one module per kind of destination: webhook, email, text) must offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Due:
    """A delivery ready to send, with what sending it needs. `body` is the webhook's request
    body, or the email's payload as JSON; `url` and `secret` are a webhook subscription's."""

    id: int
    business_id: int
    channel: str
    event: str
    body: bytes
    subscription_id: int | None = None
    url: str = ""
    secret: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one send came to. `final`: an error that no retry would mend (an address the mail
    server refuses, a reminder whose appointment has begun): the delivery fails at once.
    `not_before`: not sent, and not an attempt: due again then (a text held through the
    night). `ref`: the delivery's id at the receiving end (a text's at its provider)."""

    status_code: int | None
    error: str | None
    duration_ms: float
    final: bool = False
    not_before: datetime | None = None
    ref: str | None = None


class Channel(Protocol):
    """Sends one kind of delivery."""

    def host(self, due: Due) -> str:
        """The receiving end, as the per-host limit counts it."""
        ...

    async def send(self, due: Due, deadline_seconds: float, attempted_at: datetime) -> Outcome:
        """Send within the deadline (all of it: the lease assumes so); never raise."""
        ...

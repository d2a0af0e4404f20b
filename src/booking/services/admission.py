"""Whether the line answers a call at all: a blocked number, or one that has called more than
the business allows within a few minutes, is dropped before any model is connected.

A refused call is still in the call log (outcome `refused`, with a row saying why) and counted
in /metrics. Withheld numbers cannot be counted per number; the daily booking cap for them
(services/line_caps) limits what they can do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from booking import metrics
from booking.db import Database
from booking.models import Call, CallOutcome
from booking.services import calls
from booking.services.block_list import is_blocked
from booking.services.businesses import BusinessInfo

BLOCKED = "blocked"
REPEAT_CALLS = "repeat_calls"


@dataclass(frozen=True)
class Refusal:
    reason: str  # BLOCKED or REPEAT_CALLS: a metrics label, no personal data
    detail: str  # for the call log


async def refusal_for(
    db: Database, business: BusinessInfo, caller: str | None, now: datetime
) -> Refusal | None:
    """Why a call from `caller` must not be answered now, or None to answer it.

    Only answered calls count toward the repeat limit: a number that keeps ringing through a
    refusal is answered again once its answered calls have left the window.
    """
    if caller is None:
        return None
    async with db.read() as session:
        if await is_blocked(session, business.id, caller):
            return Refusal(BLOCKED, "The caller's number is on the business's block list.")
        window = timedelta(minutes=business.repeat_call_window_minutes)
        recent = await session.scalar(
            select(func.count(Call.id)).where(
                Call.business_id == business.id,
                Call.caller_number == caller,
                Call.started_at > now - window,
                Call.started_at <= now,
                Call.outcome != CallOutcome.REFUSED,
            )
        )
    if int(recent or 0) >= business.max_calls_per_number:
        return Refusal(
            REPEAT_CALLS,
            f"The number had already called {recent} times in the last "
            f"{business.repeat_call_window_minutes} minutes.",
        )
    return None


async def log_refusal(db: Database, call_id: int, refusal: Refusal, now: datetime) -> None:
    """The call log keeps why: a row beside the call's (no tool ran), and the outcome."""
    await calls.record_tool_call(
        db,
        call_id,
        name="refused",
        arguments={"reason": refusal.reason},
        result=None,
        error=refusal.detail,
        latency_ms=0.0,
    )
    await calls.finish_call(db, call_id, CallOutcome.REFUSED, now)
    metrics.LINE_REFUSALS.labels(reason=refusal.reason).inc()
    metrics.CALLS.labels(outcome=CallOutcome.REFUSED.value).inc()

"""The call log: a row per call, written as the call goes, its tool calls, and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import Call, CallOutcome, Message, ToolCall
from booking.services import webhooks
from booking.services.businesses import load_business
from booking.services.plain_text import without_controls

MAX_MESSAGE = 2000
MAX_TOOL_TEXT = 4000


@dataclass(frozen=True)
class MessageInfo:
    id: int
    business_id: int
    call_id: int | None
    customer_id: int | None
    caller_name: str
    callback_number: str | None
    body: str
    created_at: datetime
    handled_at: datetime | None


async def start_call(
    db: Database,
    business_id: int,
    *,
    room_name: str,
    caller_number: str | None,
    dialled_number: str | None,
    customer_id: int | None,
    verified: bool,
    now: datetime | None = None,
) -> int:
    async with db.write() as session:
        call = Call(
            business_id=business_id,
            room_name=room_name[:200],
            caller_number=caller_number,
            dialled_number=dialled_number,
            customer_id=customer_id,
            caller_verified=verified,
            started_at=now or datetime.now(UTC),
            outcome=CallOutcome.IN_PROGRESS,
            transcript=[],
        )
        session.add(call)
        await session.flush()
        return call.id


async def append_transcript(db: Database, call_id: int, entries: list[dict[str, Any]]) -> None:
    """Add turns to the call's transcript, so a crash loses at most the turn in flight."""
    if not entries:
        return
    async with db.write() as session:
        call = await session.get(Call, call_id)
        if call is None:
            raise NotFound("call", call_id)
        call.transcript = [*call.transcript, *entries]


async def set_customer(db: Database, call_id: int, customer_id: int) -> None:
    async with db.write() as session:
        await session.execute(
            update(Call).where(Call.id == call_id).values(customer_id=customer_id)
        )


async def record_tool_call(
    db: Database,
    call_id: int,
    *,
    name: str,
    arguments: dict[str, Any] | None,
    result: str | None,
    error: str | None,
    latency_ms: float,
) -> None:
    async with db.write() as session:
        session.add(
            ToolCall(
                call_id=call_id,
                name=name[:64],
                arguments=arguments,
                result=result[:MAX_TOOL_TEXT] if result else result,
                error=error[:MAX_TOOL_TEXT] if error else error,
                latency_ms=latency_ms,
            )
        )


async def finish_call(
    db: Database, call_id: int, outcome: CallOutcome, now: datetime | None = None
) -> None:
    async with db.write() as session:
        call = await session.get(Call, call_id)
        if call is None:
            raise NotFound("call", call_id)
        call.outcome = outcome
        call.ended_at = now or datetime.now(UTC)


async def get_call(db: Database, business_id: int, call_id: int) -> Call:
    async with db.read() as session:
        call = await session.get(Call, call_id)
        if call is None or call.business_id != business_id:
            raise NotFound("call", call_id)
        return call


async def tool_calls_of(db: Database, call_id: int) -> list[ToolCall]:
    async with db.read() as session:
        rows = await session.scalars(
            select(ToolCall).where(ToolCall.call_id == call_id).order_by(ToolCall.id)
        )
        return list(rows)


async def take_message(
    db: Database,
    business_id: int,
    *,
    body: str,
    caller_name: str = "",
    callback_number: str | None = None,
    customer_id: int | None = None,
    call_id: int | None = None,
    now: datetime | None = None,
) -> MessageInfo:
    text = " ".join(without_controls(body or "").split())
    if not text:
        raise InvalidInput("message", "must not be empty")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput("message", f"must be at most {MAX_MESSAGE} characters")
    async with db.write() as session:
        await load_business(session, business_id)
        message = Message(
            business_id=business_id,
            call_id=call_id,
            customer_id=customer_id,
            caller_name=(caller_name or "")[:200],
            callback_number=callback_number,
            body=text,
        )
        session.add(message)
        await session.flush()
        await webhooks.enqueue(
            session,
            business_id,
            "message.taken",
            {
                "message_id": message.id,
                "caller_name": message.caller_name,
                "callback_number": callback_number,
                "customer_id": customer_id,
                "call_id": call_id,
                "body": text,
            },
            now=now,
        )
        return MessageInfo(
            message.id,
            business_id,
            call_id,
            customer_id,
            message.caller_name,
            callback_number,
            text,
            message.created_at,
            None,
        )


async def purge_transcripts(db: Database, retention_days: int, now: datetime | None = None) -> int:
    """Blank transcripts and tool arguments of calls older than the retention; returns the count."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    async with db.write() as session:
        old_ids = select(Call.id).where(Call.started_at < cutoff).scalar_subquery()
        await session.execute(
            update(ToolCall)
            .where(ToolCall.call_id.in_(old_ids), ToolCall.arguments.is_not(None))
            .values(arguments=None, result=None)
        )
        result = await session.execute(
            update(Call).where(Call.started_at < cutoff).values(transcript=[])
        )
        return int(getattr(result, "rowcount", 0) or 0)

"""Reading the call log for admins: calls by local date, customer and outcome, one call in full
with its tool calls, and the messages taken for staff (marking one handled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import Call, CallOutcome, Customer, Message, ToolCall
from booking.services.businesses import read_business
from booking.services.calls import MessageInfo
from booking.services.localtime import day_bounds
from booking.services.pagination import Page, PageRequest
from booking.services.phones import try_normalize_phone


@dataclass(frozen=True)
class CallSummary:
    id: int
    customer_id: int | None
    customer_name: str | None
    caller_number: str | None
    dialled_number: str | None
    caller_verified: bool
    started_at: datetime
    ended_at: datetime | None
    outcome: CallOutcome


@dataclass(frozen=True)
class ToolCallInfo:
    name: str
    arguments: dict[str, Any] | None
    result: str | None
    error: str | None
    latency_ms: float
    created_at: datetime


@dataclass(frozen=True)
class CallDetail:
    call: CallSummary
    transcript: list[dict[str, Any]]
    tool_calls: list[ToolCallInfo]


def _summary(call: Call, customer_name: str | None) -> CallSummary:
    return CallSummary(
        id=call.id,
        customer_id=call.customer_id,
        customer_name=customer_name,
        caller_number=call.caller_number,
        dialled_number=call.dialled_number,
        caller_verified=call.caller_verified,
        started_at=call.started_at,
        ended_at=call.ended_at,
        outcome=call.outcome,
    )


def _message_info(m: Message) -> MessageInfo:
    return MessageInfo(
        m.id,
        m.business_id,
        m.call_id,
        m.customer_id,
        m.caller_name,
        m.callback_number,
        m.body,
        m.created_at,
        m.handled_at,
    )


async def list_calls(
    db: Database,
    business_id: int,
    *,
    start_date: date | None = None,
    end_date: date | None = None,
    customer_id: int | None = None,
    outcome: CallOutcome | None = None,
    number: str | None = None,
    page: PageRequest | None = None,
) -> Page[CallSummary]:
    """Calls newest first; dates are the business's local dates of the call's start, inclusive.
    `number` finds the caller's number in any format, or by a run of at least four digits."""
    page = page or PageRequest()
    if start_date and end_date and end_date < start_date:
        raise InvalidInput("end_date", "must not be before start_date")
    async with db.read() as session:
        business = await read_business(session, business_id)
        condition = Call.business_id == business_id
        if number is not None and number.strip():
            condition &= _caller_matches(number, business.default_region)
        if start_date is not None:
            condition &= Call.started_at >= day_bounds(start_date, start_date, business.zone)[0]
        if end_date is not None:
            condition &= Call.started_at < day_bounds(end_date, end_date, business.zone)[1]
        if customer_id is not None:
            condition &= Call.customer_id == customer_id
        if outcome is not None:
            condition &= Call.outcome == outcome
        total = int(await session.scalar(select(func.count(Call.id)).where(condition)) or 0)
        rows = await session.execute(
            select(Call, Customer.name)
            .outerjoin(Customer, Customer.id == Call.customer_id)
            .where(condition)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .offset(page.offset)
            .limit(page.page_size)
        )
        items = [_summary(call, name) for call, name in rows]
        return Page(items, total, page.page, page.page_size)


def _caller_matches(number: str, region: str) -> ColumnElement[bool]:
    """A whole number in any format matches exactly; a fragment by its digits."""
    whole = try_normalize_phone(number, region)
    if whole is not None:
        return Call.caller_number == whole
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) < 4 or len(number) > 40:
        raise InvalidInput("number", "give a phone number, or at least four of its digits")
    return Call.caller_number.like(f"%{digits}%")


async def call_detail(db: Database, business_id: int, call_id: int) -> CallDetail:
    """One call of this business with its transcript and tool calls in the order they ran."""
    async with db.read() as session:
        found = (
            await session.execute(
                select(Call, Customer.name)
                .outerjoin(Customer, Customer.id == Call.customer_id)
                .where(Call.id == call_id, Call.business_id == business_id)
            )
        ).first()
        if found is None:
            raise NotFound("call", call_id)
        call, customer_name = found
        tools = await session.scalars(
            select(ToolCall).where(ToolCall.call_id == call_id).order_by(ToolCall.id)
        )
        return CallDetail(
            call=_summary(call, customer_name),
            transcript=list(call.transcript or []),
            tool_calls=[
                ToolCallInfo(t.name, t.arguments, t.result, t.error, t.latency_ms, t.created_at)
                for t in tools
            ],
        )


async def list_messages(
    db: Database,
    business_id: int,
    *,
    handled: bool | None = None,
    customer_id: int | None = None,
    page: PageRequest | None = None,
) -> Page[MessageInfo]:
    """Messages newest first; `handled` picks handled or open ones, None both."""
    page = page or PageRequest()
    async with db.read() as session:
        condition = Message.business_id == business_id
        if customer_id is not None:
            condition &= Message.customer_id == customer_id
        if handled is True:
            condition &= Message.handled_at.is_not(None)
        elif handled is False:
            condition &= Message.handled_at.is_(None)
        total = int(await session.scalar(select(func.count(Message.id)).where(condition)) or 0)
        rows = await session.scalars(
            select(Message)
            .where(condition)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .offset(page.offset)
            .limit(page.page_size)
        )
        return Page([_message_info(m) for m in rows], total, page.page, page.page_size)


async def mark_handled(
    db: Database, business_id: int, message_id: int, now: datetime
) -> MessageInfo:
    """Mark a message handled; marking it again keeps the first time it was handled."""
    async with db.write() as session:
        message = await session.get(Message, message_id)
        if message is None or message.business_id != business_id:
            raise NotFound("message", message_id)
        if message.handled_at is None:
            message.handled_at = now
            await session.flush()
        return _message_info(message)

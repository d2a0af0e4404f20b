"""The call log and the messages the agent took: list, read a call in full, mark handled."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel

from booking.api.admin_schemas import PageOut
from booking.api.state import business_id, database, now
from booking.models import MAX_ID, CallOutcome
from booking.services import call_log
from booking.services.calls import MessageInfo
from booking.services.localtime import parse_date
from booking.services.pagination import PageRequest


class CallOut(BaseModel):
    id: int
    customer_id: int | None
    customer_name: str | None
    caller_number: str | None
    dialled_number: str | None
    caller_verified: bool
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None
    outcome: str

    @classmethod
    def of(cls, info: call_log.CallSummary) -> CallOut:
        return cls(
            id=info.id,
            customer_id=info.customer_id,
            customer_name=info.customer_name,
            caller_number=info.caller_number,
            dialled_number=info.dialled_number,
            caller_verified=info.caller_verified,
            started_at=info.started_at,
            ended_at=info.ended_at,
            duration_seconds=(
                round((info.ended_at - info.started_at).total_seconds()) if info.ended_at else None
            ),
            outcome=info.outcome.value,
        )


class ToolCallOut(BaseModel):
    name: str
    arguments: dict[str, Any] | None
    result: str | None
    error: str | None
    latency_ms: float
    created_at: datetime


class CallDetailOut(CallOut):
    transcript: list[dict[str, Any]]
    tool_calls: list[ToolCallOut]

    @classmethod
    def of_detail(cls, detail: call_log.CallDetail) -> CallDetailOut:
        return cls(
            **CallOut.of(detail.call).model_dump(),
            transcript=detail.transcript,
            tool_calls=[
                ToolCallOut(
                    name=t.name,
                    arguments=t.arguments,
                    result=t.result,
                    error=t.error,
                    latency_ms=t.latency_ms,
                    created_at=t.created_at,
                )
                for t in detail.tool_calls
            ],
        )


class MessageOut(BaseModel):
    id: int
    call_id: int | None
    customer_id: int | None
    caller_name: str
    callback_number: str | None
    body: str
    created_at: datetime
    handled: bool
    handled_at: datetime | None

    @classmethod
    def of(cls, info: MessageInfo) -> MessageOut:
        return cls(
            id=info.id,
            call_id=info.call_id,
            customer_id=info.customer_id,
            caller_name=info.caller_name,
            callback_number=info.callback_number,
            body=info.body,
            created_at=info.created_at,
            handled=info.handled_at is not None,
            handled_at=info.handled_at,
        )


class CallController(Controller):
    path = "/calls"
    tags = ["calls"]

    @get(
        "/",
        summary="List calls, newest first, by local date range, customer, outcome and the "
        "caller's number",
    )
    async def list_calls(
        self,
        request: Request[Any, Any, Any],
        start_date: Annotated[str | None, Parameter(max_length=10)] = None,
        end_date: Annotated[str | None, Parameter(max_length=10)] = None,
        customer_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        outcome: CallOutcome | None = None,
        number: Annotated[
            str | None,
            Parameter(
                max_length=64,
                description="The caller's number in any format (+1 (234) 567-8900, "
                "234-567-8900), or a run of at least four of its digits",
            ),
        ] = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> PageOut[CallOut]:
        found = await call_log.list_calls(
            database(request),
            business_id(request),
            start_date=parse_date(start_date, "start_date") if start_date else None,
            end_date=parse_date(end_date, "end_date") if end_date else None,
            customer_id=customer_id,
            outcome=outcome,
            number=number,
            page=PageRequest(page, page_size),
        )
        return PageOut[CallOut](
            items=[CallOut.of(c) for c in found.items],
            total=found.total,
            page=found.page,
            page_size=found.page_size,
        )

    @get("/{call_id:int}", summary="Read a call with its transcript and tool calls")
    async def read(self, request: Request[Any, Any, Any], call_id: int) -> CallDetailOut:
        detail = await call_log.call_detail(database(request), business_id(request), call_id)
        return CallDetailOut.of_detail(detail)


class MessageController(Controller):
    path = "/messages"
    tags = ["messages"]

    @get("/", summary="List messages taken by the agent, newest first (handled=true|false)")
    async def list_messages(
        self,
        request: Request[Any, Any, Any],
        handled: bool | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> PageOut[MessageOut]:
        found = await call_log.list_messages(
            database(request),
            business_id(request),
            handled=handled,
            page=PageRequest(page, page_size),
        )
        return PageOut[MessageOut](
            items=[MessageOut.of(m) for m in found.items],
            total=found.total,
            page=found.page,
            page_size=found.page_size,
        )

    @post(
        "/{message_id:int}/handled",
        status_code=HTTP_200_OK,
        summary="Mark a message handled (again: keeps the first time)",
    )
    async def mark_handled(self, request: Request[Any, Any, Any], message_id: int) -> MessageOut:
        marked = await call_log.mark_handled(
            database(request), business_id(request), message_id, now(request)
        )
        return MessageOut.of(marked)

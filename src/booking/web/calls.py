"""Calls: the phone log with its filters, and one call in full (transcript, tool calls, what
it booked), from the same call-log service as `GET /api/calls`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.response import Template

from booking.api.state import database
from booking.errors import InvalidInput
from booking.models import CallOutcome
from booking.services import call_log
from booking.services.appointment_queries import list_appointments
from booking.services.businesses import get_business
from booking.services.pagination import Page, PageRequest
from booking.web.forms import FieldErrors, errors_of
from booking.web.listing import collect, length, optional_date, page_number, pager, when
from booking.web.nav import NavEntry
from booking.web.render import page
from booking.web.session import current_business

FILTERS = ("outcome", "start_date", "end_date", "number")
OUTCOMES = [("", "Any outcome")] + [
    (o.value, o.value.replace("_", " ").capitalize()) for o in CallOutcome
]


def _outcome(raw: str) -> CallOutcome | None:
    if not raw:
        return None
    try:
        return CallOutcome(raw)
    except ValueError:
        raise InvalidInput("outcome", "is not one of the outcomes listed") from None


def _pretty(arguments: dict[str, Any] | None) -> str:
    return json.dumps(arguments, indent=2, ensure_ascii=False) if arguments else ""


class CallPages(Controller):
    """/admin/calls: the log; /admin/calls/{id}: one call."""

    path = "/calls"
    nav = NavEntry("Calls", "/calls")

    @get("/")
    async def log(self, request: Request[Any, Any, Any]) -> Template:
        """Newest first; each filter (outcome, start_date, end_date, number, page) is read as
        text and checked on its own, so every bad one is named beside its field."""
        db, owner = database(request), current_business(request)
        query = {k: (request.query_params.get(k) or "").strip() for k in (*FILTERS, "page")}
        errors: FieldErrors = {}
        outcome = collect(errors, lambda: _outcome(query["outcome"]))
        first = collect(errors, lambda: optional_date(query["start_date"], "start_date"))
        last = collect(errors, lambda: optional_date(query["end_date"], "end_date"))
        wanted = collect(errors, lambda: page_number(query["page"]))
        found: Page[call_log.CallSummary] = Page([], 0, 1, 1)
        if not errors:
            try:
                found = await call_log.list_calls(
                    db, owner,
                    start_date=first, end_date=last, outcome=outcome,
                    number=query["number"] or None, page=wanted,
                )  # fmt: skip
            except InvalidInput as exc:
                errors.update(errors_of(exc))
        zone = (await get_business(db, owner)).zone
        rows = [
            {
                "call": c,
                "when": when(c.started_at, zone),
                "length": length(c.started_at, c.ended_at),
            }
            for c in found.items
        ]
        return page(
            request, "calls.html", status_code=422 if errors else 200, title="Calls", rows=rows,
            query=query, errors=errors,
            outcomes=OUTCOMES, pager=pager("/admin/calls", query, found),
        )  # fmt: skip

    @get("/{call_id:int}")
    async def one(self, request: Request[Any, Any, Any], call_id: int) -> Template:
        """Another business's call is not found, as on the API."""
        db, owner = database(request), current_business(request)
        detail = await call_log.call_detail(db, owner, call_id)
        zone = (await get_business(db, owner)).zone
        booked = await list_appointments(db, owner, call_id=call_id, page=PageRequest(1, 50))
        call = detail.call
        return page(
            request,
            "call.html",
            title=f"Call {call.id}",
            call=call,
            when=when(call.started_at, zone),
            length=length(call.started_at, call.ended_at),
            transcript=[
                {
                    "role": turn.get("role", ""),
                    "text": turn.get("text", ""),
                    "at": _turn_time(turn.get("at"), zone),
                }
                for turn in detail.transcript
            ],
            tools=[{"tool": t, "arguments": _pretty(t.arguments)} for t in detail.tool_calls],
            booked=[{"appointment": a, "when": when(a.starts_at, zone)} for a in booked.items],
        )


def _turn_time(raw: object, zone: ZoneInfo) -> str:
    """A transcript turn's time of day, or nothing if it was not stored as an instant."""
    if not isinstance(raw, str):
        return ""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return ""
    return at.astimezone(zone).strftime("%H:%M:%S") if at.tzinfo else ""

"""Messages: the inbox of messages the receptionist took, newest first; marking one handled
swaps its row in place (htmx) or, without a script, comes back to the inbox."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.state import database, now
from booking.services import call_log
from booking.services.businesses import get_business
from booking.services.calls import MessageInfo
from booking.services.pagination import Page
from booking.web.forms import FieldErrors
from booking.web.listing import collect, page_number, pager, when
from booking.web.nav import NavEntry
from booking.web.render import fragment, is_htmx, page
from booking.web.session import current_business

# Which messages the inbox shows: the `show` query value, its label, and the service's filter.
SHOWS: dict[str, tuple[str, bool | None]] = {
    "open": ("Open", False),
    "handled": ("Handled", True),
    "all": ("All", None),
}


def message_row(message: MessageInfo, zone: Any) -> dict[str, Any]:
    return {
        "message": message,
        "when": when(message.created_at, zone),
        "handled_when": when(message.handled_at, zone),
    }


class MessagePages(Controller):
    """/admin/messages and its one action."""

    path = "/messages"
    nav = NavEntry("Messages", "/messages")

    @get("/")
    async def inbox(self, request: Request[Any, Any, Any]) -> Template:
        db, owner = database(request), current_business(request)
        show = request.query_params.get("show") or "open"
        query = {"show": show, "page": request.query_params.get("page") or ""}
        errors: FieldErrors = {}
        found: Page[MessageInfo] = Page([], 0, 1, 1)
        if show not in SHOWS:
            errors["show"] = "is one of open, handled or all"
        wanted = collect(errors, lambda: page_number(query["page"]))
        if not errors:
            found = await call_log.list_messages(db, owner, handled=SHOWS[show][1], page=wanted)
        zone = (await get_business(db, owner)).zone
        return page(
            request, "messages.html", status_code=422 if errors else 200, title="Messages",
            show=show, shows=SHOWS, errors=errors,
            rows=[message_row(m, zone) for m in found.items],
            pager=pager("/admin/messages", query, found),
        )  # fmt: skip

    @post("/{message_id:int}/handled")
    async def mark_handled(
        self, request: Request[Any, Any, Any], message_id: int
    ) -> Template | Response[Any]:
        """Marking again keeps the first time (the service's rule, as on the API)."""
        db, owner = database(request), current_business(request)
        marked = await call_log.mark_handled(db, owner, message_id, now(request))
        if is_htmx(request):
            zone = (await get_business(db, owner)).zone
            return fragment(request, "_message.html", row=message_row(marked, zone))
        return Redirect("/admin/messages", status_code=303)

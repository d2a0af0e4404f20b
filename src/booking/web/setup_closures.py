"""Setup, closures: the days the whole business is closed. Every session sees them; an
owner's adds and removes them (the API's rule), through `create_closure`, which refuses a
closure that would strand bookings unless told what to do with them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.admin_schemas import ClosureIn
from booking.api.state import database, now
from booking.errors import BookingError, NotFound
from booking.services import closures
from booking.services.stranding import StrandedAppointment, WouldStrand
from booking.web.confirm import Confirmation, confirmation_page, is_confirmed
from booking.web.forms import FieldErrors, errors_of, parse, read_form
from booking.web.render import page
from booking.web.session import current_business, require_owner
from booking.web.stranding import on_affected_of


class ClosureSetup(Controller):
    path = "/setup/closures"

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await _page(request, {}, {})

    @post("/", guards=[require_owner])
    async def close(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        form = await read_form(request)
        raw = {
            "starts_on": form.get("starts_on", "").strip(),
            "ends_on": form.get("ends_on", "").strip() or None,
            "reason": form.get("reason", ""),
        }
        body, errors = parse(ClosureIn, raw)
        affected: list[StrandedAppointment] = []
        if body is not None:
            try:
                await closures.create_closure(
                    database(request), current_business(request), body.starts_on,
                    body.ends_on or body.starts_on, body.reason,
                    on_affected=on_affected_of(form), now=now(request),
                )  # fmt: skip
            except WouldStrand as exc:
                affected = exc.affected
            except BookingError as exc:
                errors = errors_of(exc)
        if errors or affected:
            status = 409 if affected else 422
            return await _page(request, form, errors, affected=affected, status_code=status)
        return Redirect("/admin/setup/closures", status_code=303)

    @post("/{closure_id:int}/delete", guards=[require_owner])
    async def reopen(
        self, request: Request[Any, Any, Any], closure_id: int
    ) -> Template | Response[Any]:
        """Remove a closure after asking (`web.confirm`): its days are offered again."""
        if not await is_confirmed(request):
            found = await closures.list_closures(database(request), current_business(request))
            closure = next((c for c in found if c.id == closure_id), None)
            if closure is None:
                raise NotFound("closure", closure_id)
            days = closure.starts_on.strftime("%a %-d %b %Y")
            if closure.ends_on != closure.starts_on:
                days += " to " + closure.ends_on.strftime("%a %-d %b %Y")
            return confirmation_page(request, Confirmation(
                question=f"Open again on {days}?",
                action=f"/admin/setup/closures/{closure_id}/delete",
                button="Remove the closure", back="/admin/setup/closures", keep="Stay closed",
                consequences=["Those days are offered to callers again, by each person's hours."],
            ))  # fmt: skip
        await closures.delete_closure(database(request), current_business(request), closure_id)
        return Redirect("/admin/setup/closures", status_code=303)


async def _page(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    found = await closures.list_closures(database(request), current_business(request))
    return page(
        request, "setup_closures.html", status_code=status_code, title="Setup: closures",
        closures=found, values=values, errors=errors, **context,
    )  # fmt: skip

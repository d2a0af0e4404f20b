"""Setup, a staff member's own calendars (owner only, as on the API): ICS addresses and CalDAV
accounts whose busy times are not offered, each with its last sync and last error; connect,
remove, "sync now", through `CalendarIn` and the same services as `/api/staff/{id}/calendars`
(the password is write-only here too)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.response import Redirect, Template

from booking.api.calendars import CalendarIn
from booking.api.state import database, now, outbound_allow_private
from booking.errors import BookingError
from booking.services import calendar_connections
from booking.services.calendar_sync import SyncSettings, sync_now
from booking.web.confirm import Confirmation, confirmation_page, is_confirmed
from booking.web.forms import errors_of, parse, read_form
from booking.web.session import current_business, require_owner
from booking.web.setup_staff import member_page, member_path


def _body(form: dict[str, str]) -> dict[str, Any]:
    """The form as `CalendarIn`: empty optional fields left out, one calendar a line."""
    raw: dict[str, Any] = {k: form.get(k, "") for k in ("kind", "url", "name")}
    for key in ("username", "password", "write_calendar"):
        if form.get(key, "").strip():
            raw[key] = form[key]
    lines = [line.strip() for line in form.get("read_calendars", "").splitlines()]
    raw["read_calendars"] = [line for line in lines if line]
    return raw


def _sync_settings(request: Request[Any, Any, Any]) -> SyncSettings:
    settings: SyncSettings | None = getattr(request.app.state, "calendar_sync", None)
    return settings or SyncSettings()


class CalendarSetup(Controller):
    path = "/setup/staff/{staff_id:int}/calendars"
    guards = [require_owner]  # credentials, and where the product connects: owner only

    @post("/")
    async def connect(
        self, request: Request[Any, Any, Any], staff_id: int
    ) -> Template | Response[Any]:
        form = await read_form(request)
        body, errors = parse(CalendarIn, _body(form))
        if body is not None:
            try:
                await calendar_connections.create_connection(
                    database(request), current_business(request), staff_id, now=now(request),
                    allow_private=outbound_allow_private(request), **body.model_dump(),
                )  # fmt: skip
            except BookingError as exc:
                errors = errors_of(exc)
        if errors:
            values = {k: v for k, v in form.items() if k != "password"}  # never sent back
            return await member_page(
                request, staff_id, status_code=422,
                calendars={"values": values, "errors": errors},
            )  # fmt: skip
        return Redirect(member_path(staff_id) + "?saved=calendar#calendars", status_code=303)

    @post("/{connection_id:int}/sync")
    async def sync(
        self, request: Request[Any, Any, Any], staff_id: int, connection_id: int
    ) -> Template | Response[Any]:
        """Sync at once; the page then shows how it went (its last sync, or its error)."""
        try:
            await sync_now(
                database(request), current_business(request), staff_id, connection_id,
                _sync_settings(request), clock=request.app.state.clock,
            )  # fmt: skip
        except BookingError as exc:
            if exc.code == "not_found":
                raise
            return await member_page(
                request, staff_id, status_code=409, calendars={"errors": errors_of(exc)}
            )
        return Redirect(member_path(staff_id) + "?saved=sync#calendars", status_code=303)

    @post("/{connection_id:int}/delete")
    async def remove(
        self, request: Request[Any, Any, Any], staff_id: int, connection_id: int
    ) -> Template | Response[Any]:
        """Disconnect, after asking (`web.confirm`): its busy times stop counting."""
        if not await is_confirmed(request):
            found = await calendar_connections.get_connection(
                database(request), current_business(request), staff_id, connection_id
            )
            back = member_path(staff_id) + "#calendars"
            return confirmation_page(request, Confirmation(
                question=f"Remove the calendar {found.name or found.url}?",
                action=f"{member_path(staff_id)}/calendars/{connection_id}/delete",
                button="Remove it", back=back, keep="Keep it",
                consequences=[
                    "Its busy times stop counting: callers may be offered those times.",
                    "Its stored password, if any, is deleted; connecting it again needs it.",
                ],
            ))  # fmt: skip
        await calendar_connections.delete_connection(
            database(request), current_business(request), staff_id, connection_id
        )
        return Redirect(member_path(staff_id) + "#calendars", status_code=303)

"""Setup, a staff member's schedule: weekly hours (several intervals a day, so a lunch break
is two) and date overrides (a day off, or special hours), through the API's bodies and the
same services as `PUT /api/staff/{id}/hours` and `/overrides`, with the API's choices for
bookings a change would strand."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.response import Redirect, Template

from booking.api.state import database, now
from booking.errors import BookingError, InvalidInput, NotFound
from booking.services import staff
from booking.services.localtime import parse_date
from booking.services.stranding import StrandedAppointment, WouldStrand
from booking.web.confirm import Confirmation, confirmation_page, is_confirmed
from booking.web.forms import FieldErrors, errors_of, read_form
from booking.web.hours_form import (
    override_rows,
    read_override,
    read_week,
    week_error,
    week_rows_from_form,
)
from booking.web.session import current_business
from booking.web.setup_staff import member_page, member_path
from booking.web.stranding import on_affected_of


class HoursSetup(Controller):
    path = "/setup/staff/{staff_id:int}"

    @post("/hours")
    async def weekly(
        self, request: Request[Any, Any, Any], staff_id: int
    ) -> Template | Response[Any]:
        """Replace the weekly hours as a whole; an empty day is a day off."""
        form = await read_form(request)
        wanted = read_week(form)
        errors: FieldErrors = dict(wanted.errors)
        affected: list[StrandedAppointment] = []
        if not errors:
            try:
                await staff.set_weekly_hours(
                    database(request), current_business(request), staff_id, wanted.weekly,
                    on_affected=on_affected_of(form), now=now(request),
                )  # fmt: skip
            except WouldStrand as exc:
                affected = exc.affected
            except InvalidInput as exc:
                errors = week_error(exc) if exc.field.startswith("hours") else errors_of(exc)
            except BookingError as exc:
                errors = errors_of(exc)
        if errors or affected:
            return await member_page(
                request, staff_id, status_code=409 if affected else 422,
                hours={"rows": week_rows_from_form(form), "errors": errors,
                       "affected": affected},
            )  # fmt: skip
        return Redirect(member_path(staff_id) + "?saved=hours#hours", status_code=303)

    @post("/overrides")
    async def add_override(
        self, request: Request[Any, Any, Any], staff_id: int
    ) -> Template | Response[Any]:
        """One date's hours: no intervals is a day off."""
        form = await read_form(request)
        wanted = read_override(form)
        errors: FieldErrors = dict(wanted.errors)
        affected: list[StrandedAppointment] = []
        if wanted.body is not None:
            body = wanted.body
            try:
                await staff.add_override(
                    database(request), current_business(request), staff_id, body.date,
                    [(i.opens_at, i.closes_at) for i in body.intervals], body.reason,
                    on_affected=on_affected_of(form), now=now(request),
                )  # fmt: skip
            except WouldStrand as exc:
                affected = exc.affected
            except InvalidInput as exc:
                errors = {"override" if exc.field == "intervals" else exc.field: exc.reason}
            except BookingError as exc:
                errors = errors_of(exc)
        if errors or affected:
            return await member_page(
                request, staff_id, status_code=409 if affected else 422,
                override={"rows": override_rows(form), "values": form, "errors": errors,
                          "affected": affected},
            )  # fmt: skip
        return Redirect(member_path(staff_id) + "?saved=override#overrides", status_code=303)

    @post("/overrides/{on_date:str}/delete")
    async def remove_override(
        self, request: Request[Any, Any, Any], staff_id: int, on_date: str
    ) -> Template | Response[Any]:
        """Remove a day's change after asking (`web.confirm`): the weekly hours apply again."""
        day = parse_date(on_date, "date")
        if not await is_confirmed(request):
            found = await staff.list_overrides(
                database(request), current_business(request), staff_id, day
            )
            if all(o.on_date != day for o in found):
                raise NotFound("override", day.isoformat())
            shown = day.strftime("%a %-d %b %Y")
            return confirmation_page(request, Confirmation(
                question=f"Remove the change on {shown}?",
                action=f"{member_path(staff_id)}/overrides/{day.isoformat()}/delete",
                button="Remove the change", back=member_path(staff_id) + "#overrides",
                keep="Keep it",
                consequences=["That day follows the weekly hours again."],
            ))  # fmt: skip
        await staff.delete_override(database(request), current_business(request), staff_id, day)
        return Redirect(member_path(staff_id) + "#overrides", status_code=303)

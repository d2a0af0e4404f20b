"""One appointment: see it, move it to a free time, cancel it, mark it completed or no-show,
through the same service functions and state machine as the API. Every id is looked up
within the session's business (another business's appointment is a 404). A refusal (already
cancelled, not started yet) is said on the appointment's own page, as it now stands."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from booking.api.problems import booking_error_to_problem
from booking.api.state import database, now
from booking.errors import BookingError, Conflict, InvalidInput, SlotUnavailable
from booking.models import AppointmentStatus
from booking.services import appointments, availability, customers
from booking.services.appointments import AppointmentInfo
from booking.services.businesses import get_business
from booking.services.localtime import parse_date, parse_time
from booking.services.nearest import nearest_free
from booking.services.staff import list_staff
from booking.web.forms import FORM, FieldErrors, errors_of, read_form
from booking.web.render import fragment, is_htmx, page
from booking.web.session import current_business

MOVE_TAKEN = "that time is taken (by another booking, or in the staff member's own calendar)"

DONE = {
    "moved": "Moved.",
    "cancelled": "Cancelled.",
    "completed": "Marked completed.",
    "no_show": "Marked no-show.",
    "booked": "Booked.",
}


async def _context(request: Request[Any, Any, Any], appointment_id: int) -> dict[str, Any]:
    db, business_id = database(request), current_business(request)
    found = await appointments.get_appointment(db, business_id, appointment_id)
    business = await get_business(db, business_id)
    customer = (
        await customers.get_customer(db, business_id, found.customer_id)
        if found.customer_id is not None
        else None
    )
    return {
        "a": found,
        "customer": customer,
        "zone": business.zone,
        "staff": await list_staff(db, business_id, active_only=True),
        "started": found.starts_at <= now(request),
        "errors": {},
        "form": {},
        "free": None,
        "nearest": None,
    }


def _show(
    request: Request[Any, Any, Any], context: dict[str, Any], status_code: int = 200
) -> Template:
    if is_htmx(request) and request.method == "GET":
        return fragment(request, "_appointment.html", status_code=status_code, **context)
    title = f"Appointment {context['a'].id}"
    return page(request, "appointment.html", status_code=status_code, title=title, **context)


async def _refused(
    request: Request[Any, Any, Any], appointment_id: int, exc: BookingError
) -> Template:
    """The appointment's page as it stands now, with the refusal's sentence above its forms
    and the API's status (409 for a conflict, 422 for a bad field)."""
    if not isinstance(exc, (Conflict, InvalidInput)):
        raise exc  # not found, unavailable: the error page
    context = await _context(request, appointment_id)
    context["errors"] = {FORM: exc.message[:1].upper() + exc.message[1:]}
    return _show(request, context, status_code=booking_error_to_problem(exc).status_code)


def _done(appointment_id: int, what: str) -> Redirect:
    return Redirect(f"/admin/appointments/{appointment_id}?done={what}", status_code=303)


async def free_times(
    request: Request[Any, Any, Any], found: AppointmentInfo, day: date, staff_id: int | None
) -> list[availability.Slot]:
    """Free starts of that day for this appointment's service (or length)."""
    return await availability.find_slots(
        database(request),
        current_business(request),
        start_date=day,
        staff_id=staff_id,
        service_id=found.service_id,
        duration_minutes=None if found.service_id else found.duration_minutes,
        now=now(request),
        exclude_appointment_id=found.id,  # its own time is free for it
    )


class AppointmentController(Controller):
    path = "/appointments"

    @get("/{appointment_id:int}")
    async def show(
        self, request: Request[Any, Any, Any], appointment_id: int, done: str | None = None
    ) -> Template:
        context = await _context(request, appointment_id)
        context["notice"] = DONE.get(done or "")
        return _show(request, context)

    @get("/{appointment_id:int}/free")
    async def free(
        self,
        request: Request[Any, Any, Any],
        appointment_id: int,
        appointment_date: str | None = None,
        staff_id: str | None = None,
    ) -> Template:
        """The move form's free times for a day (an htmx swap, or the whole page)."""
        context = await _context(request, appointment_id)
        found: AppointmentInfo = context["a"]
        try:
            day = parse_date(appointment_date or "", "appointment_date")
            who = int(staff_id) if staff_id else None
            context["free"] = await free_times(request, found, day, who)
        except (BookingError, ValueError) as exc:
            context["errors"] = (
                errors_of(exc)
                if isinstance(exc, BookingError)
                else {"staff_id": "pick a staff member"}
            )
            day = found.local_date
        context["form"] = {"appointment_date": day.isoformat(), "staff_id": staff_id or ""}
        if is_htmx(request):
            return fragment(request, "_free_times.html", **context)
        return _show(request, context)

    @post("/{appointment_id:int}/move")
    async def move(self, request: Request[Any, Any, Any], appointment_id: int) -> Response[Any]:
        form = await read_form(request)
        errors: FieldErrors = {}
        status = 422
        day = at = None
        try:
            day = parse_date(form.get("appointment_date", ""), "appointment_date")
            at = parse_time(form.get("appointment_time", ""), "appointment_time")
            staff = form.get("staff_id") or None
            if staff is not None and not staff.isdigit():
                raise InvalidInput("staff_id", "pick a staff member")
            await appointments.move(
                database(request),
                current_business(request),
                appointment_id,
                local_date=day,
                local_time=at,
                staff_id=int(staff) if staff else None,
                now=now(request),
            )
            return _done(appointment_id, "moved")
        except BookingError as exc:
            if not isinstance(exc, (InvalidInput, SlotUnavailable)):
                return await _refused(request, appointment_id, exc)  # e.g. already cancelled
            errors = errors_of(exc)
            if isinstance(exc, SlotUnavailable):
                # The owner chose this time themselves: it was never "no longer" free.
                errors, status = {"appointment_time": MOVE_TAKEN}, 409
        context = await _context(request, appointment_id)
        found: AppointmentInfo = context["a"]
        if day is not None and at is not None:  # a time that is taken or outside hours
            context["nearest"] = await nearest_free(
                database(request),
                current_business(request),
                day=day,
                at=at,
                staff_id=int(form["staff_id"]) if form.get("staff_id", "").isdigit() else None,
                service_id=found.service_id,
                duration_minutes=None if found.service_id else found.duration_minutes,
                now=now(request),
                exclude_appointment_id=found.id,
            )
        context.update(errors=errors, form=form)
        return _show(request, context, status_code=status)

    @post("/{appointment_id:int}/cancel")
    async def cancel(self, request: Request[Any, Any, Any], appointment_id: int) -> Response[Any]:
        try:
            await appointments.cancel(
                database(request), current_business(request), appointment_id, now=now(request)
            )
        except BookingError as exc:
            return await _refused(request, appointment_id, exc)
        return _done(appointment_id, "cancelled")

    @post("/{appointment_id:int}/status")
    async def mark(self, request: Request[Any, Any, Any], appointment_id: int) -> Response[Any]:
        form = await read_form(request)
        wanted = form.get("status", "")
        allowed = {AppointmentStatus.COMPLETED.value, AppointmentStatus.NO_SHOW.value}
        try:
            if wanted not in allowed:
                raise InvalidInput("status", "must be completed or no_show")
            await appointments.set_status(
                database(request),
                current_business(request),
                appointment_id,
                AppointmentStatus(wanted),
                now=now(request),
            )
        except BookingError as exc:
            return await _refused(request, appointment_id, exc)
        return _done(appointment_id, wanted)

"""New booking: pick a service, a staff member or anyone, and a day; see the free times (the
availability service the API and the phone use); book one for a customer found by name or
phone, or a new one (created with the booking, in its transaction: a refused time leaves no
customer behind). A time taken meanwhile shows the nearest free ones."""

from __future__ import annotations

import secrets
from datetime import date, time
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from booking.api.state import database, now
from booking.errors import BookingError, DuplicateCustomer, InvalidInput, SlotUnavailable
from booking.models import AppointmentSource
from booking.services import appointments, availability, customers
from booking.services.businesses import get_business
from booking.services.customer_directory import search_customers
from booking.services.localtime import parse_date, parse_time
from booking.services.nearest import nearest_free
from booking.services.new_customer_booking import NewCustomer, book_new_customer
from booking.services.pagination import PageRequest
from booking.services.staff import list_services, list_staff
from booking.web.forms import FieldErrors, errors_of, read_form
from booking.web.nav import NavEntry
from booking.web.render import page
from booking.web.session import current_business

NEW = "new"  # the customer_id of "a new customer" in the form
CUSTOMER_FIELDS = {"name", "phone", "email"}  # a new customer's: refused beside them
MATCHES = 10


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _slot(value: str) -> tuple[time, int]:
    """A radio's value, "HH:MM|staff_id", as the time and the staff member."""
    at, _, staff = value.partition("|")
    if not staff.isdigit():
        raise InvalidInput("appointment_time", "pick one of the free times")
    return parse_time(at, "appointment_time"), int(staff)


async def _render(
    request: Request[Any, Any, Any],
    form: dict[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
    nearest: list[availability.Slot] | None = None,
) -> Template:
    db, business_id = database(request), current_business(request)
    business = await get_business(db, business_id)
    today = now(request).astimezone(business.zone).date()
    form.setdefault("appointment_date", today.isoformat())
    service_id = _int_or_none(form.get("service_id"))
    staff_id = _int_or_none(form.get("staff_id"))
    slots: list[availability.Slot] | None = None
    if form.get("show") == "times" and service_id is None:
        # Said where the times would be: that is the part of the page htmx swaps in.
        errors = {"appointment_time": "choose a service first: its length decides the times"}
    if nearest is None and service_id is not None:
        try:
            day = parse_date(form["appointment_date"], "appointment_date")
            slots = await availability.find_slots(
                db, business_id, start_date=day, staff_id=staff_id, service_id=service_id,
                now=now(request),
            )  # fmt: skip
        except BookingError as exc:
            errors = {**errors_of(exc), **errors}
    matches: list[customers.CustomerInfo] = []
    query = form.get("q", "").strip()
    if query:
        try:
            found = await search_customers(db, business_id, query, PageRequest(1, MATCHES))
            matches = found.items
        except InvalidInput as exc:
            errors = {**errors_of(exc), **errors}
    chosen = _int_or_none(form.get("customer_id"))
    if chosen is not None and all(c.id != chosen for c in matches):
        try:
            matches.insert(0, await customers.get_customer(db, business_id, chosen))
        except BookingError:
            form["customer_id"] = ""
    return page(
        request,
        "new_booking.html",
        status_code=status_code,
        title="New booking",
        form=form,
        errors=errors,
        services=await list_services(db, business_id),
        staff=await list_staff(db, business_id, active_only=True),
        slots=slots,
        past=form["appointment_date"] < today.isoformat(),  # ISO dates compare as dates
        nearest=nearest,
        matches=matches,
        searched=bool(query),
        idempotency_key=secrets.token_urlsafe(16),
        zone=business.zone,
    )


class NewBookingController(Controller):
    path = "/book"
    nav = NavEntry("New booking", "/book")

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        """The form; with service and day given, their free times; with `q`, the customers
        it finds (the same page answers htmx's partial loads of both)."""
        values = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        return await _render(request, values, {})

    @post("/")
    async def book(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await read_form(request)
        errors: FieldErrors = {}
        service_id = _int_or_none(form.get("service_id"))
        if service_id is None:
            errors["service_id"] = "pick a service"
        day: date | None = None
        try:
            day = parse_date(form.get("appointment_date", ""), "appointment_date")
        except InvalidInput as exc:
            errors.update(errors_of(exc))
        at, staff_id = None, None
        if not form.get("slot"):
            errors["appointment_time"] = "pick one of the free times"
        else:
            try:
                at, staff_id = _slot(form["slot"])
            except InvalidInput as exc:
                errors.update(errors_of(exc))
        chosen = form.get("customer_id", "")
        if chosen != NEW and not chosen.isdigit():
            errors["customer_id"] = "find a customer and pick them, or choose a new customer"
        if chosen == NEW:
            for field, label in (("name", "the customer's name"), ("phone", "a phone number")):
                if not form.get(field, "").strip():
                    errors[field] = f"enter {label}"
        if errors or day is None or at is None or service_id is None:
            return await _render(request, form, errors, status_code=422)
        db, business_id = database(request), current_business(request)
        wanted = appointments.BookingRequest(
            business_id=business_id,
            customer_id=int(chosen) if chosen != NEW else 0,  # 0: the new customer's, once made
            local_date=day,
            local_time=at,
            staff_id=staff_id,
            service_id=service_id,
            source=AppointmentSource.API,
            notes=form.get("notes", ""),
        )
        key = form.get("idempotency_key") or None
        try:
            if chosen == NEW:
                # One transaction: a refused time leaves no customer behind.
                _, booked = await book_new_customer(
                    db,
                    NewCustomer(form["phone"], form["name"], form.get("email") or None),
                    wanted,
                    idempotency_key=key,
                    now=now(request),
                )
            else:
                booked = await appointments.book(db, wanted, idempotency_key=key, now=now(request))
        except DuplicateCustomer as exc:
            form["customer_id"] = str(exc.customer_id)
            known = await customers.get_customer(db, business_id, exc.customer_id)
            errors = {"phone": f"{known.name} already has this number; they are picked below"}
            return await _render(request, form, errors, status_code=409)
        except (SlotUnavailable, InvalidInput) as exc:
            if isinstance(exc, InvalidInput) and exc.field in CUSTOMER_FIELDS:
                return await _render(request, form, errors_of(exc), status_code=422)
            errors = errors_of(exc)
            if isinstance(exc, SlotUnavailable):
                errors = {"appointment_time": exc.message}
            nearest = await nearest_free(
                db,
                business_id,
                day=day,
                at=at,
                staff_id=_int_or_none(form.get("staff_id")),
                service_id=service_id,
                duration_minutes=None,
                now=now(request),
            )
            form.pop("slot", None)
            status = 409 if isinstance(exc, SlotUnavailable) else 422
            return await _render(request, form, errors, status_code=status, nearest=nearest)
        return Redirect(f"/admin/appointments/{booked.id}?done=booked", status_code=303)

"""Customers: search by name or phone, one customer's history (appointments, calls,
messages), edit, and erasure on request after a confirmation step, through the same services
as `/api/customers` (the erasure is the API's `erase_customer`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.admin_schemas import CustomerUpdate
from booking.api.state import database, now
from booking.errors import BookingError, DuplicateCustomer
from booking.services import call_log, customers
from booking.services.appointment_queries import list_appointments
from booking.services.businesses import get_business
from booking.services.customer_directory import MAX_QUERY, search_customers
from booking.services.customers import CustomerInfo
from booking.services.erasure import erase_customer
from booking.services.pagination import Page, PageRequest
from booking.web.forms import FieldErrors, errors_of, parse, read_form
from booking.web.listing import length, page_number, pager, when
from booking.web.nav import NavEntry
from booking.web.render import page
from booking.web.session import current_business

HISTORY = PageRequest(1, 50)  # the newest of each kind; the Calls page has the whole log
CONSENTS = ("email_consent", "sms_consent")


def edit_values(customer: CustomerInfo) -> dict[str, Any]:
    return {
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email or "",
        "notes": customer.notes,
        "email_consent": customer.email_consent,
        "sms_consent": customer.sms_consent,
    }


class CustomerPages(Controller):
    """/admin/customers: search; /{id}: history; /{id}/edit; /{id}/erase."""

    path = "/customers"
    nav = NavEntry("Customers", "/customers")

    @get("/")
    async def search(self, request: Request[Any, Any, Any]) -> Template:
        q = (request.query_params.get("q") or "").strip()
        query = {"q": q, "page": request.query_params.get("page") or ""}
        errors: FieldErrors = {}
        found: Page[CustomerInfo] = Page([], 0, 1, 1)
        try:
            found = await search_customers(
                database(request), current_business(request), q[: MAX_QUERY + 1],
                page_number(query["page"]),
            )  # fmt: skip
        except BookingError as exc:
            errors = errors_of(exc)
        return page(
            request, "customers.html", status_code=422 if errors else 200, title="Customers",
            query=query, errors=errors,
            found=found.items, pager=pager("/admin/customers", query, found),
            erased=request.query_params.get("erased") == "1",
        )  # fmt: skip

    @get("/{customer_id:int}")
    async def history(self, request: Request[Any, Any, Any], customer_id: int) -> Template:
        db, owner = database(request), current_business(request)
        customer = await customers.get_customer(db, owner, customer_id)
        zone = (await get_business(db, owner)).zone
        booked = await list_appointments(db, owner, customer_id=customer_id, page=HISTORY)
        called = await call_log.list_calls(db, owner, customer_id=customer_id, page=HISTORY)
        left = await call_log.list_messages(db, owner, customer_id=customer_id, page=HISTORY)
        return page(
            request,
            "customer.html",
            title=customer.name,
            customer=customer,
            appointments=[{"a": a, "when": when(a.starts_at, zone)} for a in booked.items],
            calls=[
                {
                    "c": c,
                    "when": when(c.started_at, zone),
                    "length": length(c.started_at, c.ended_at),
                }
                for c in called.items
            ],
            messages=[{"m": m, "when": when(m.created_at, zone)} for m in left.items],
            saved=request.query_params.get("saved") == "1",
        )

    @get("/{customer_id:int}/edit")
    async def edit_form(self, request: Request[Any, Any, Any], customer_id: int) -> Template:
        customer = await customers.get_customer(
            database(request), current_business(request), customer_id
        )
        return page(
            request, "customer_edit.html", title=f"Edit {customer.name}", customer=customer,
            values=edit_values(customer), errors={},
        )  # fmt: skip

    @post("/{customer_id:int}/edit")
    async def edit(
        self, request: Request[Any, Any, Any], customer_id: int
    ) -> Template | Response[Any]:
        """The form holds every field the API's PATCH takes; an unticked consent is a no."""
        db, owner = database(request), current_business(request)
        customer = await customers.get_customer(db, owner, customer_id)
        form = await read_form(request)
        wanted: dict[str, Any] = {k: form.get(k, "") for k in ("name", "phone", "email", "notes")}
        wanted.update({k: k in form for k in CONSENTS})
        body, errors = parse(CustomerUpdate, wanted)
        if body is not None:
            try:
                await customers.update_customer(
                    db, owner, customer_id, **body.model_dump(exclude_unset=True)
                )
            except DuplicateCustomer as exc:
                other = await customers.get_customer(db, owner, exc.customer_id)
                errors = {"phone": f"another customer, {other.name}, has this number"}
            except BookingError as exc:
                errors = errors_of(exc)
        if errors:
            return page(
                request, "customer_edit.html", status_code=422, title=f"Edit {customer.name}",
                customer=customer, values=wanted, errors=errors,
            )  # fmt: skip
        return Redirect(f"/admin/customers/{customer_id}?saved=1", status_code=303)

    @get("/{customer_id:int}/erase")
    async def erase_form(self, request: Request[Any, Any, Any], customer_id: int) -> Template:
        """The confirmation step: what erasure removes, and one button that does it."""
        return await _confirmation(request, customer_id)

    @post("/{customer_id:int}/erase")
    async def erase(
        self, request: Request[Any, Any, Any], customer_id: int
    ) -> Template | Response[Any]:
        """Only the confirmation page's button (it sends `confirm=erase`) erases."""
        form = await read_form(request)
        if form.get("confirm") != "erase":
            return await _confirmation(request, customer_id)
        await erase_customer(
            database(request), current_business(request), customer_id, now=now(request)
        )
        return Redirect("/admin/customers?erased=1", status_code=303)


async def _confirmation(request: Request[Any, Any, Any], customer_id: int) -> Template:
    db, owner = database(request), current_business(request)
    customer = await customers.get_customer(db, owner, customer_id)
    booked = await list_appointments(db, owner, customer_id=customer_id, page=HISTORY)
    return page(
        request, "customer_erase.html", title=f"Erase {customer.name}", customer=customer,
        appointments=booked.total,
    )  # fmt: skip

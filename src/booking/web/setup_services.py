"""Setup, services: what the business sells (duration, buffer, price), added, changed and
retired through the API's bodies (`ServiceIn`, `ServiceUpdate`) and the same services."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.admin_schemas import ServiceIn, ServiceUpdate
from booking.api.state import database
from booking.errors import BookingError
from booking.services import staff
from booking.services.staff import ServiceInfo
from booking.web.forms import FieldErrors, errors_of, parse, read_form
from booking.web.render import page
from booking.web.session import current_business

TEXT_FIELDS = ("name", "duration_minutes", "buffer_minutes", "description")
PRICE_FIELDS = ("price_minor", "currency")


def _raw(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as the API's body: empty price fields are left out (no price, or
    the price unchanged: the API cannot remove a price either)."""
    raw: dict[str, Any] = {k: form.get(k, "") for k in TEXT_FIELDS}
    raw.update({k: form[k].strip() for k in PRICE_FIELDS if form.get(k, "").strip()})
    return raw


def values_of(service: ServiceInfo) -> dict[str, Any]:
    return {
        "name": service.name,
        "duration_minutes": str(service.duration_minutes),
        "buffer_minutes": str(service.buffer_minutes),
        "description": service.description,
        "price_minor": "" if service.price_minor is None else str(service.price_minor),
        "currency": service.currency or "",
        "active": service.active,
    }


class ServiceSetup(Controller):
    path = "/setup/services"

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await _list_page(request, {"buffer_minutes": "0"}, {})

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        form = await read_form(request)
        body, errors = parse(ServiceIn, _raw(form))
        if body is not None:
            try:
                await staff.create_service(
                    database(request), current_business(request), body.name,
                    body.duration_minutes, body.buffer_minutes, price_minor=body.price_minor,
                    currency=body.currency, description=body.description,
                )  # fmt: skip
            except BookingError as exc:
                errors = errors_of(exc)
        if errors:
            return await _list_page(request, form, errors, status_code=422)
        return Redirect("/admin/setup/services", status_code=303)

    @get("/{service_id:int}")
    async def edit_form(self, request: Request[Any, Any, Any], service_id: int) -> Template:
        service = await staff.get_service(database(request), current_business(request), service_id)
        return _edit_page(request, service, values_of(service), {})

    @post("/{service_id:int}")
    async def edit(
        self, request: Request[Any, Any, Any], service_id: int
    ) -> Template | Response[Any]:
        """Unticking "offered" retires the service (kept for history), as DELETE does."""
        db, owner = database(request), current_business(request)
        service = await staff.get_service(db, owner, service_id)
        form = await read_form(request)
        body, errors = parse(ServiceUpdate, {**_raw(form), "active": "active" in form})
        if body is not None:
            try:
                await staff.update_service(
                    db, owner, service_id, **body.model_dump(exclude_unset=True)
                )
            except BookingError as exc:
                errors = errors_of(exc)
        if errors:
            values = {**form, "active": "active" in form}
            return _edit_page(request, service, values, errors, status_code=422)
        return Redirect("/admin/setup/services", status_code=303)


async def _list_page(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
) -> Template:
    found = await staff.list_services(
        database(request), current_business(request), active_only=False
    )
    return page(
        request, "setup_services.html", status_code=status_code, title="Setup: services",
        services=found, values=values, errors=errors,
    )  # fmt: skip


def _edit_page(
    request: Request[Any, Any, Any],
    service: ServiceInfo,
    values: dict[str, Any],
    errors: FieldErrors,
    *,
    status_code: int = 200,
) -> Template:
    return page(
        request, "setup_service.html", status_code=status_code, title=f"Setup: {service.name}",
        service=service, values=values, errors=errors,
    )  # fmt: skip

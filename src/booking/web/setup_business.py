"""Setup, the business: its settings, read by every session and changed by an owner's only
(the API's rule), through `BusinessUpdate` and `update_business` as `PATCH /api/business`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.admin_schemas import BusinessOut, BusinessUpdate
from booking.api.state import database, now
from booking.errors import BookingError, InvalidInput
from booking.services import businesses
from booking.services.businesses import ZoneChange
from booking.services.stranding import WouldStrand
from booking.web.forms import FieldErrors, errors_of, parse, read_form
from booking.web.render import page
from booking.web.session import current_business, require_owner
from booking.web.stranding import on_affected_of

# The form's fields, in the order shown, grouped; each is the API's field of the same name.
GROUPS: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "The business",
        [
            ("name", "Name", "text"),
            ("timezone", "Time zone", "text"),
            ("default_region", "Phone region", "text"),
            ("numbers", "Numbers that ring the receptionist (one a line)", "lines"),
            ("transfer_number", "Transfer calls to", "tel"),
            ("sms_number", "Send texts from (empty: the first number)", "tel"),
        ],
    ),
    (
        "Booking rules",
        [
            ("slot_step_minutes", "Slot step (minutes)", "number"),
            ("min_notice_minutes", "Minimum notice (minutes)", "number"),
            ("horizon_days", "Booking horizon (days)", "number"),
            ("cancellation_cutoff_minutes", "Cancellation cut-off (minutes)", "number"),
            ("reminder_minutes", "Reminder before each appointment (minutes; 0: none)", "number"),
            ("quiet_from_minute", "No texts from", "time"),
            ("quiet_until_minute", "No texts until", "time"),
        ],
    ),
    (
        "The phone line",
        [
            ("max_call_seconds", "Longest call (seconds)", "number"),
            ("max_bookings_per_call", "Bookings one call may make", "number"),
            (
                "max_future_bookings_per_customer",
                "Upcoming bookings one customer may hold",
                "number",
            ),
            ("max_withheld_bookings_per_day", "Bookings a day from withheld numbers", "number"),
            ("max_calls_per_number", "Calls one number may make in the window", "number"),
            ("repeat_call_window_minutes", "That window (minutes)", "number"),
        ],
    ),
]
FIELDS = [name for _, fields in GROUPS for name, _, _ in fields]
KEEPS = [
    ("", "(only needed when changing the time zone with bookings ahead)"),
    (ZoneChange.LOCAL_TIMES.value, "Keep their local times (each moves to the same clock time)"),
    (ZoneChange.INSTANTS.value, "Keep their instants (their clock times change)"),
]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def form_values(settings: BusinessOut) -> dict[str, str]:
    """The stored settings as the form's text."""
    values: dict[str, str] = {}
    for name in FIELDS:
        value = getattr(settings, name)
        if name in ("quiet_from_minute", "quiet_until_minute"):
            values[name] = _clock(value)
        elif name == "numbers":
            values[name] = "\n".join(value)
        else:
            values[name] = "" if value is None else str(value)
    return values


def _minutes(text: str, field: str) -> int:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise InvalidInput(field, "give a time of day (HH:MM)")
    return int(hours) * 60 + int(minutes)


def changes_of(form: dict[str, str], current: BusinessOut) -> tuple[dict[str, Any], FieldErrors]:
    """The fields the form changes, checked by the API's `BusinessUpdate`."""
    raw: dict[str, Any] = {}
    errors: FieldErrors = {}
    for name in FIELDS:
        text = form.get(name, "").strip()
        if name == "numbers":
            raw[name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif name in ("quiet_from_minute", "quiet_until_minute"):
            try:
                raw[name] = _minutes(text, name)
            except InvalidInput as exc:
                errors.update(errors_of(exc))
        else:
            raw[name] = text
    body, refused = parse(BusinessUpdate, raw)
    errors.update(refused)
    if body is None or errors:
        return {}, errors
    wanted = body.model_dump()
    stored = current.model_dump()
    return {k: v for k, v in wanted.items() if k in raw and v != stored.get(k)}, {}


class BusinessSetup(Controller):
    path = "/setup/business"

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        settings = BusinessOut.of(
            await businesses.get_business(database(request), current_business(request))
        )
        return _page(
            request, settings, form_values(settings), {}, saved="saved" in request.query_params
        )

    @post("/", guards=[require_owner])
    async def save(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        db, owner = database(request), current_business(request)
        current = BusinessOut.of(await businesses.get_business(db, owner))
        form = await read_form(request)
        changes, errors = changes_of(form, current)
        keep = _keep(form, errors)
        affected = []
        if not errors and changes:
            try:
                await businesses.update_business(
                    db, owner, on_affected=on_affected_of(form), appointments_keep=keep,
                    now=now(request), **changes,
                )  # fmt: skip
            except WouldStrand as exc:
                affected = exc.affected
            except BookingError as exc:
                errors = errors_of(exc)
        if errors or affected:
            status = 409 if affected else 422
            return _page(request, current, form, errors, affected=affected, status_code=status)
        return Redirect("/admin/setup/business?saved", status_code=303)


def _keep(form: dict[str, str], errors: FieldErrors) -> ZoneChange | None:
    raw = form.get("appointments_keep") or ""
    try:
        return ZoneChange(raw) if raw else None
    except ValueError:
        errors["appointments_keep"] = "is one of the choices listed"
        return None


def _page(
    request: Request[Any, Any, Any],
    settings: BusinessOut,
    values: dict[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    return page(
        request, "setup_business.html", status_code=status_code, title="Setup: business",
        settings=settings, values=values, errors=errors, groups=GROUPS, keeps=KEEPS,
        keep=values.get("appointments_keep", ""), **context,
    )  # fmt: skip

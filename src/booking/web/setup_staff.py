"""Setup, staff: the team, each member's page (name, services, weekly hours, date overrides,
calendar-feed link, and the free times their schedule gives on a day), through the API's
bodies and the same services as `/api/staff`. The hours and overrides forms are answered in
`setup_hours.py`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.admin_schemas import StaffIn, StaffUpdate
from booking.api.calendar_feed import feed_url
from booking.api.state import database, now
from booking.db import Database
from booking.errors import BookingError
from booking.services import availability, calendar_connections, staff
from booking.services.businesses import get_business
from booking.services.staff import StaffInfo
from booking.services.stranding import StrandedAppointment, WouldStrand
from booking.web.confirm import Confirmation, confirmation_page, is_confirmed
from booking.web.forms import FieldErrors, errors_of, parse, read_form_lists
from booking.web.hours_form import Rows, intervals_text, override_rows, week_rows
from booking.web.listing import optional_date, when
from booking.web.render import page
from booking.web.session import current_business, signed_in
from booking.web.stranding import on_affected_of

CALENDAR_KINDS = [
    ("ics", "ICS address (the secret iCal link of Google, Apple or Outlook)"),
    ("caldav", "CalDAV account (server URL, user name, app password)"),
]


def member_path(staff_id: int) -> str:
    return f"/admin/setup/staff/{staff_id}"


class StaffSetup(Controller):
    path = "/setup/staff"

    @get("/")
    async def team(self, request: Request[Any, Any, Any]) -> Template:
        return await _team_page(request, {}, {})

    @post("/")
    async def add(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        """A new member with the services ticked; their hours are set on their page."""
        form = await read_form_lists(request)
        name = (form.get("name") or [""])[-1]
        body, errors = parse(StaffIn, {"name": name, "service_ids": form.get("service_ids", [])})
        if body is not None:
            try:
                created = await staff.create_staff(
                    database(request), current_business(request), body.name,
                    service_ids=body.service_ids,
                )  # fmt: skip
            except BookingError as exc:
                errors = errors_of(exc)
            else:
                return Redirect(member_path(created.id), status_code=303)
        values = {"name": name, "service_ids": form.get("service_ids", [])}
        return await _team_page(request, values, errors, status_code=422)

    @get("/{staff_id:int}")
    async def member(self, request: Request[Any, Any, Any], staff_id: int) -> Template:
        return await member_page(request, staff_id, saved=request.query_params.get("saved"))

    @post("/{staff_id:int}")
    async def change(
        self, request: Request[Any, Any, Any], staff_id: int
    ) -> Template | Response[Any]:
        """Name, taking bookings (active) and services: the API's PATCH, with its choices
        for bookings the change would strand."""
        form = await read_form_lists(request)
        single = {k: v[-1] for k, v in form.items() if v}
        raw = {
            "name": single.get("name", ""),
            "active": "active" in form,
            "service_ids": form.get("service_ids", []),
        }
        body, errors = parse(StaffUpdate, raw)
        affected: list[StrandedAppointment] = []
        if body is not None:
            try:
                await staff.update_staff(
                    database(request), current_business(request), staff_id,
                    on_affected=on_affected_of(single), now=now(request),
                    **body.model_dump(exclude_unset=True),
                )  # fmt: skip
            except WouldStrand as exc:
                affected = exc.affected
            except BookingError as exc:
                errors = errors_of(exc)
        if errors or affected:
            return await member_page(
                request, staff_id, status_code=409 if affected else 422,
                details={"values": raw, "errors": errors, "affected": affected},
            )  # fmt: skip
        return Redirect(member_path(staff_id) + "?saved=details", status_code=303)

    @post("/{staff_id:int}/calendar-feed")
    async def new_feed_link(
        self, request: Request[Any, Any, Any], staff_id: int
    ) -> Template | Response[Any]:
        """A new secret for the feed: the old link stops working (as POST on the API); asks
        first (`web.confirm`)."""
        if not await is_confirmed(request):
            member = await staff.get_staff(database(request), current_business(request), staff_id)
            return confirmation_page(request, Confirmation(
                question=f"Make a new calendar feed link for {member.name}?",
                action=f"{member_path(staff_id)}/calendar-feed",
                button="Make a new link", back=member_path(staff_id) + "#feed",
                keep="Keep the current link",
                consequences=["Calendars subscribed to the current link stop updating until "
                              "they are given the new one."],
            ))  # fmt: skip
        await staff.rotate_calendar_key(database(request), current_business(request), staff_id)
        return Redirect(member_path(staff_id) + "?saved=feed#feed", status_code=303)


async def _team_page(
    request: Request[Any, Any, Any],
    values: dict[str, Any],
    errors: FieldErrors,
    *,
    status_code: int = 200,
) -> Template:
    db, owner = database(request), current_business(request)
    members = await staff.list_staff(db, owner)
    services = await staff.list_services(db, owner)
    names = {s.id: s.name for s in await staff.list_services(db, owner, active_only=False)}
    return page(
        request, "setup_staff.html", status_code=status_code, title="Setup: staff",
        members=[
            {"m": m, "services": ", ".join(names.get(i, "") for i in m.service_ids),
             "hours": _week_summary(m)}
            for m in members
        ],
        services=services, values=values, errors=errors,
    )  # fmt: skip


def _week_summary(member: StaffInfo) -> list[tuple[str, list[str]]]:
    """(weekday, its intervals as text) for each working day, for the team's table."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return [
        (days[d], [intervals_text([iv]) for iv in ivs])
        for d, ivs in sorted(member.weekly_hours.items())
    ]


async def _free_times(
    request: Request[Any, Any, Any], member: StaffInfo, today: date
) -> dict[str, Any]:
    """The free starts of a day (`?day=`, default tomorrow) for a 30-minute booking, from the
    availability service the API and the receptionist use."""
    errors: FieldErrors = {}
    day = today + timedelta(days=1)
    try:
        day = optional_date(request.query_params.get("day"), "day") or day
    except BookingError as exc:
        errors = errors_of(exc)
    slots: list[str] = []
    if not errors and member.active:
        found = await availability.find_slots(
            database(request), member.business_id, start_date=day, staff_id=member.id,
            now=now(request),
        )  # fmt: skip
        slots = [s.local_start.strftime("%H:%M") for s in found]
    return {"day": day, "slots": slots, "errors": errors}


async def member_page(
    request: Request[Any, Any, Any],
    staff_id: int,
    *,
    status_code: int = 200,
    saved: str | None = None,
    details: dict[str, Any] | None = None,
    hours: dict[str, Any] | None = None,
    override: dict[str, Any] | None = None,
    calendars: dict[str, Any] | None = None,
) -> Template:
    """The member's page; a form that was refused comes back with what was typed, its errors
    and the appointments it would strand, the other forms as stored."""
    db, owner = database(request), current_business(request)
    member = await staff.get_staff(db, owner, staff_id)
    business = await get_business(db, owner)
    today = now(request).astimezone(business.zone).date()
    key = await staff.calendar_key_of(db, owner, staff_id)
    stored_rows: list[Rows] = week_rows(member.weekly_hours)
    owner_sees = signed_in(request).is_owner
    return page(
        request, "setup_member.html", status_code=status_code, title=f"Setup: {member.name}",
        member=member,
        services=await staff.list_services(db, owner, active_only=False),
        overrides=[
            {"o": o, "text": intervals_text(o.intervals) if o.intervals else "day off"}
            for o in await staff.list_overrides(db, owner, staff_id, today)
        ],
        feed=feed_url(request, staff_id, key) if key else None,
        free=await _free_times(request, member, today),
        saved=saved,
        details=details or {
            "values": {"name": member.name, "active": member.active,
                       "service_ids": [str(i) for i in member.service_ids]},
            "errors": {}, "affected": [],
        },
        hours=hours or {"rows": stored_rows, "errors": {}, "affected": []},
        override=override or {"rows": override_rows(), "values": {}, "errors": {},
                              "affected": []},
        calendars={
            "rows": await _calendar_rows(db, owner, staff_id, business.zone)
            if owner_sees else [],
            "kinds": CALENDAR_KINDS, "values": {"kind": "ics"}, "errors": {},
            **(calendars or {}),
        },
    )  # fmt: skip


async def _calendar_rows(
    db: Database, owner: int, staff_id: int, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The member's calendar connections with their last sync and error (owner only)."""
    found = await calendar_connections.list_connections(db, owner, staff_id)
    return [
        {"c": c, "synced": when(c.last_synced_at, zone), "tried": when(c.last_attempt_at, zone)}
        for c in found
    ]

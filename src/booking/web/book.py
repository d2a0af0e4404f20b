"""Today and Week: each staff member's appointments as a timeline in the business's time
zone, with working hours, days off and closures shaded (services/day_sheet draws the sheet)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from booking.api.state import database, now
from booking.services.businesses import get_business
from booking.services.day_sheet import day_sheets
from booking.services.localtime import parse_date
from booking.web.nav import NavEntry
from booking.web.render import page
from booking.web.session import current_business


async def _today(request: Request[Any, Any, Any]) -> date:
    business = await get_business(database(request), current_business(request))
    return now(request).astimezone(business.zone).date()


async def _chosen_day(request: Request[Any, Any, Any], day: str | None) -> date:
    return parse_date(day, "day") if day else await _today(request)


class TodayController(Controller):
    """One day's book (today unless `?day=YYYY-MM-DD`)."""

    path = "/today"
    nav = NavEntry("Today", "/today")

    @get("/")
    async def today(self, request: Request[Any, Any, Any], day: str | None = None) -> Template:
        chosen = await _chosen_day(request, day)
        business, sheets = await day_sheets(
            database(request), current_business(request), chosen, chosen, now(request)
        )
        return page(
            request,
            "today.html",
            title="Today" if chosen == await _today(request) else f"{chosen:%A %-d %B}",
            sheet=sheets[0],
            agenda=sorted(
                (b for row in sheets[0].staff for b in row.appointments),
                key=lambda b: (b.info.starts_at, b.info.staff_id),
            ),
            zone=business.zone,
            day=chosen,
            previous=chosen - timedelta(days=1),
            following=chosen + timedelta(days=1),
        )


class WeekController(Controller):
    """Seven days from the Monday of the week holding `?day=` (default: this week)."""

    path = "/week"
    nav = NavEntry("Week", "/week")

    @get("/")
    async def week(self, request: Request[Any, Any, Any], day: str | None = None) -> Template:
        chosen = await _chosen_day(request, day)
        monday = chosen - timedelta(days=chosen.weekday())
        business, sheets = await day_sheets(
            database(request),
            current_business(request),
            monday,
            monday + timedelta(days=6),
            now(request),
        )
        return page(
            request,
            "week.html",
            title=f"Week of {monday:%-d %B %Y}",
            sheets=sheets,
            zone=business.zone,
            day=monday,
            previous=monday - timedelta(days=7),
            following=monday + timedelta(days=7),
        )

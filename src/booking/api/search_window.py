"""The dates of a search for free times: read together, and refused past the booking horizon,
where an empty answer would look like a fully booked diary."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from booking.errors import InvalidInput, raise_all
from booking.services.businesses import BusinessInfo
from booking.services.localtime import parse_date


def date_range(start_date: str, end_date: str | None) -> tuple[date, date]:
    """`start_date` and `end_date` (default: the same day), each bad one named in one answer."""
    problems: list[tuple[str, str]] = []
    parsed: dict[str, date] = {}
    for field, text in (("start_date", start_date), ("end_date", end_date)):
        if text is None:
            continue
        try:
            parsed[field] = parse_date(text, field)
        except InvalidInput as exc:
            problems.append((exc.field, exc.reason))
    raise_all(problems)
    first = parsed["start_date"]
    return first, parsed.get("end_date", first)


def last_bookable_day(business: BusinessInfo, current: datetime) -> date:
    """The local date of the horizon's end: the last day with any bookable time."""
    return (current + timedelta(days=business.horizon_days)).astimezone(business.zone).date()


def refuse_past_horizon(business: BusinessInfo, current: datetime, first: date, last: date) -> None:
    """Each end of the search past the horizon is named, with the last day one may book."""
    limit = last_bookable_day(business, current)
    reason = (
        f"is past the booking horizon: bookings are taken at most {business.horizon_days} "
        f"days ahead, so the last bookable day is {limit.isoformat()}"
    )
    bounds = (("start_date", first), ("end_date", last))
    raise_all([(field, reason) for field, day in bounds if day > limit])

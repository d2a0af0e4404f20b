"""What the log-like pages (calls, messages, customers, a customer's history) share: times
in the business's zone, a call's length, the query of a filtered list, and page links."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from booking.errors import BookingError, InvalidInput
from booking.services.localtime import parse_date
from booking.services.pagination import MAX_PAGE_SIZE, Page, PageRequest
from booking.web.forms import FieldErrors, errors_of

T = TypeVar("T")
PAGE_SIZE = 25
MAX_PAGE = 100_000


def when(instant: datetime | None, zone: ZoneInfo) -> str:
    """ "Tue 1 Dec 2026, 10:30" in the business's zone (the owner reads their own clock)."""
    if instant is None:
        return ""
    local = instant.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def length(started: datetime, ended: datetime | None) -> str:
    """A call's length as "3 min 05 s"; empty while it is still going."""
    if ended is None:
        return ""
    seconds = max(0, round((ended - started).total_seconds()))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def page_number(raw: str | None) -> PageRequest:
    """The `page` of a list's query (1 when missing); a bad one is refused, naming it."""
    text = (raw or "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidInput("page", f"must be a whole number from 1 to {MAX_PAGE}")
    return PageRequest(int(text), min(PAGE_SIZE, MAX_PAGE_SIZE))


def collect(errors: FieldErrors, check: Callable[[], T]) -> T | None:
    """The value `check` reads, or None with its refusal added to `errors` (so a form's
    every bad field is named at once)."""
    try:
        return check()
    except BookingError as exc:
        errors.update(errors_of(exc))
        return None


def optional_date(raw: str | None, field: str) -> date | None:
    """A date filter: empty means none; a bad one is refused, naming the field."""
    text = (raw or "").strip()
    return parse_date(text, field) if text else None


@dataclass(frozen=True)
class Pager:
    """Links to the previous and next pages of a list, keeping its filters."""

    page: int
    pages: int
    total: int
    previous: str | None
    next: str | None


def pager(base: str, query: Mapping[str, str], found: Page[Any]) -> Pager:
    pages = max(1, -(-found.total // found.page_size))

    def link(number: int) -> str:
        kept = {k: v for k, v in query.items() if v and k != "page"}
        return f"{base}?{urlencode({**kept, 'page': str(number)})}"

    return Pager(
        page=found.page,
        pages=pages,
        total=found.total,
        previous=link(found.page - 1) if found.page > 1 else None,
        next=link(found.page + 1) if found.page < pages else None,
    )

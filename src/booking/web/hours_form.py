"""The weekly-hours and date-override forms: rows of opening and closing times, read into the
API's own bodies (`HoursIn`, `OverrideIn`, so the rules are the API's), with each refusal put
back beside the row it came from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from pydantic import ValidationError

from booking.api.admin_schemas import WEEKDAYS, HoursIn, OverrideIn
from booking.errors import InvalidFields, InvalidInput
from booking.web.forms import in_words

Interval = tuple[time, time]
# Each day shows its intervals and at least one empty row, so a lunch break (a second
# interval) can be typed in without a script; a day may hold up to twelve, as in the API.
MIN_ROWS = 2
MAX_ROWS = 12
_ROW = re.compile(r"^(?P<prefix>[a-z]+)-(?P<row>\d{1,2})-(?P<part>opens|closes)$")


def field_name(prefix: str, row: int, part: str) -> str:
    """The form field of one time: `monday-1-opens` is Monday's second interval's start."""
    return f"{prefix}-{row}-{part}"


@dataclass
class Rows:
    """One group of interval rows as the form shows them: a weekday, or an override's date."""

    prefix: str
    label: str
    rows: list[tuple[str, str]] = field(default_factory=list)

    def padded(self) -> Rows:
        """The rows with an empty one after them (at least MIN_ROWS, at most MAX_ROWS)."""
        wanted = min(MAX_ROWS, max(MIN_ROWS, len(self.rows) + 1))
        return Rows(self.prefix, self.label, self.rows + [("", "")] * (wanted - len(self.rows)))


def _text(value: time) -> str:
    return value.strftime("%H:%M")


def week_rows(weekly: Mapping[int, Sequence[Interval]]) -> list[Rows]:
    """The stored weekly hours as form rows, Monday first."""
    return [
        Rows(day, day.capitalize(), [(_text(o), _text(c)) for o, c in weekly.get(i, ())]).padded()
        for i, day in enumerate(WEEKDAYS)
    ]


def _typed_rows(form: Mapping[str, str], prefix: str) -> list[tuple[int, str, str]]:
    """(row, opens, closes) of the rows the user filled in (either time), in row order."""
    numbers = sorted(
        {
            int(m["row"])
            for key in form
            if (m := _ROW.match(key)) and m["prefix"] == prefix and int(m["row"]) < MAX_ROWS
        }
    )
    typed = []
    for row in numbers:
        opens = str(form.get(field_name(prefix, row, "opens"), "")).strip()
        closes = str(form.get(field_name(prefix, row, "closes"), "")).strip()
        if opens or closes:
            typed.append((row, opens, closes))
    return typed


def week_rows_from_form(form: Mapping[str, str]) -> list[Rows]:
    """What the user typed, to show again beside its errors."""
    return [
        Rows(day, day.capitalize(), [(o, c) for _, o, c in _typed_rows(form, day)]).padded()
        for day in WEEKDAYS
    ]


_PLAIN = {"Field required": "is required"}


def _message(error: Mapping[str, Any]) -> str:
    if error.get("input") == "":
        return "is required"
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    return in_words(_PLAIN.get(text, text))


def _interval_errors(
    error: Mapping[str, Any], where: Sequence[Any], prefix: str, rows: Sequence[int]
) -> tuple[str, str]:
    """The form field of an error located at `where` within one group's intervals."""
    if len(where) >= 1 and isinstance(where[0], int) and where[0] < len(rows):
        row = rows[where[0]]
        part = "opens" if len(where) > 1 and where[1] == "opens_at" else "closes"
        return field_name(prefix, row, part), _message(error)
    return prefix, _message(error)


@dataclass(frozen=True)
class ReadHours:
    """The weekly hours the form asks for, or the refusals by form field."""

    weekly: dict[int, list[Interval]]
    errors: dict[str, str]


def read_week(form: Mapping[str, str]) -> ReadHours:
    """Read the weekly-hours form into `HoursIn`, the body `PUT /api/staff/{id}/hours` takes."""
    days: list[dict[str, Any]] = []
    rows_of_day: list[tuple[str, list[int]]] = []
    for day in WEEKDAYS:
        typed = _typed_rows(form, day)
        if typed:
            days.append(
                {
                    "weekday": day,
                    "intervals": [{"opens_at": o, "closes_at": c} for _, o, c in typed],
                }
            )
            rows_of_day.append((day, [row for row, _, _ in typed]))
    try:
        hours = HoursIn.model_validate({"days": days})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = error["loc"]
            if len(loc) >= 3 and loc[0] == "days" and isinstance(loc[1], int):
                day, rows = rows_of_day[loc[1]]
                name, why = _interval_errors(error, loc[3:], day, rows)
                errors.setdefault(name, why)
        return ReadHours({}, errors or {"hours": "these hours could not be read"})
    return ReadHours(hours.as_weekday_map(), {})


def week_error(exc: InvalidInput) -> dict[str, str]:
    """A service's refusal of the hours (`hours.0`: Monday's intervals overlap) by form field;
    several refused days are each shown beside their own row."""
    problems = exc.problems if isinstance(exc, InvalidFields) else [(exc.field, exc.reason)]
    errors: dict[str, str] = {}
    for name, reason in problems:
        _, _, weekday = name.partition(".")
        if weekday.isdigit() and int(weekday) < len(WEEKDAYS):
            errors.setdefault(WEEKDAYS[int(weekday)], in_words(reason))
        else:
            errors.setdefault("hours", in_words(reason))
    return errors


OVERRIDE = "override"


@dataclass(frozen=True)
class ReadOverride:
    """A date override the form asks for (no intervals: a day off), or the refusals."""

    body: OverrideIn | None
    errors: dict[str, str]


def read_override(form: Mapping[str, str]) -> ReadOverride:
    """Read the override form into `OverrideIn`, the body `POST .../overrides` takes."""
    typed = _typed_rows(form, OVERRIDE)
    raw = {
        "date": str(form.get("date", "")).strip(),
        "intervals": [{"opens_at": o, "closes_at": c} for _, o, c in typed],
        "reason": str(form.get("reason", "")),
    }
    try:
        return ReadOverride(OverrideIn.model_validate(raw), {})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        rows = [row for row, _, _ in typed]
        for error in exc.errors():
            loc = error["loc"]
            if loc and loc[0] == "intervals":
                name, why = _interval_errors(error, loc[1:], OVERRIDE, rows)
            else:
                name, why = str(loc[0]) if loc else "date", _message(error)
            errors.setdefault(name, why)
        return ReadOverride(None, errors)


def override_rows(form: Mapping[str, str] | None = None) -> Rows:
    typed = _typed_rows(form or {}, OVERRIDE)
    return Rows(OVERRIDE, "Hours that day", [(o, c) for _, o, c in typed]).padded()


def intervals_text(intervals: Iterable[Interval]) -> str:
    """ "09:00-12:00, 13:00-17:00", or "closed" for none."""
    return ", ".join(f"{_text(o)}-{_text(c)}" for o, c in intervals) or "closed"

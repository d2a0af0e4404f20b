"""How much work one calendar may cost to expand, so that a hostile or broken feed cannot
hold a CPU (and, through the GIL, the event loop the phone runs on) for minutes.

Expanding a repeating event walks its rule from DTSTART onwards, one step per period, even
before the window: `FREQ=DAILY` from the year 1 is 740,000 steps; `FREQ=SECONDLY` is 86,400 a
day. Before anything is expanded, the steps of every rule (timezone rules included) are
estimated from outside (periods times the lists that multiply them) and a calendar whose
total passes MAX_STEPS is refused, saying so. While expanding, more than MAX_OCCURRENCES
event occurrences within the window is refused too (a real calendar has a few thousand).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Any

MAX_STEPS = 2_000_000
MAX_OCCURRENCES = 10_000
# What a rule in a VTIMEZONE is walked up to (timezone libraries precompute transitions).
TIMEZONE_RULES_UNTIL = datetime(2100, 1, 1)

_PERIOD_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86_400,
    "WEEKLY": 7 * 86_400,
    "MONTHLY": 28 * 86_400,
    "YEARLY": 365 * 86_400,
}
# Lists that can multiply the occurrences of one period (an upper bound: some only filter).
_MULTIPLYING = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
                "BYWEEKNO", "BYMONTH")  # fmt: skip


class TooMuchToExpand(ValueError):
    """A calendar whose expansion would cost more than the limits; the message says which."""


def _naive_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _first(rule: Any, key: str) -> Any:
    values = rule.get(key)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def rule_steps(rule: Any, dtstart: Any, until: datetime) -> int:
    """An upper bound of the steps walking `rule` (an icalendar vRecur) from `dtstart` up to
    `until` takes."""
    start = _naive_utc(dtstart)
    if start is None:
        return 0
    frequency = str(_first(rule, "FREQ") or "").upper()
    period = _PERIOD_SECONDS.get(frequency)
    if period is None:
        return 0  # the library refuses an unknown frequency itself
    rule_until = _naive_utc(_first(rule, "UNTIL"))
    end = min(until, rule_until) if rule_until is not None else until
    try:
        interval = max(1, int(_first(rule, "INTERVAL") or 1))
    except (TypeError, ValueError):
        interval = 1
    seconds = (end - start).total_seconds()
    periods = 1 + max(0, int(seconds // (period * interval)))
    multiplier = 1
    for key in _MULTIPLYING:
        values = rule.get(key)
        if isinstance(values, list) and values:
            multiplier *= len(values)
    count = _first(rule, "COUNT")
    if count is not None and multiplier == 1:
        with contextlib.suppress(TypeError, ValueError):
            periods = min(periods, max(1, int(count)))
    return periods * multiplier


def check_expansion_cost(calendar: Any, until: datetime) -> None:
    """Refuse (TooMuchToExpand) a parsed calendar whose repeating rules would take more than
    MAX_STEPS steps to walk up to `until` (naive UTC); rules in a VTIMEZONE are counted up to
    TIMEZONE_RULES_UNTIL."""
    steps = 0
    for zone in calendar.walk("VTIMEZONE"):
        for part in zone.subcomponents:
            steps += _component_steps(part, TIMEZONE_RULES_UNTIL)
    for component in calendar.walk():
        if component.name in ("VEVENT", "VTODO", "VJOURNAL"):
            steps += _component_steps(component, until)
        if steps > MAX_STEPS:
            raise TooMuchToExpand(
                "a repeating event in the calendar repeats too often to be read "
                f"(more than {MAX_STEPS:,} steps to expand)"
            )


def _component_steps(component: Any, until: datetime) -> int:
    rules = component.get("RRULE")
    if rules is None:
        return 0
    start = component.get("DTSTART")
    dtstart = getattr(start, "dt", None)
    rules = rules if isinstance(rules, list) else [rules]
    return sum(rule_steps(rule, dtstart, until) for rule in rules)


def too_many_occurrences() -> TooMuchToExpand:
    return TooMuchToExpand(
        f"the calendar has more than {MAX_OCCURRENCES:,} events within the booking horizon"
    )

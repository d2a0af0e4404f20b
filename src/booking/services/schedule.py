"""Pure schedule arithmetic: working intervals as instants and the free start times in them.

No database here, so the rules can be checked exhaustively (tests compare `free_starts` with a
minute-by-minute oracle). A new appointment blocks [start, end + buffer); it must lie within one
working interval from start to end, and its blocked range may overlap no busy range.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from booking.services.localtime import first_instant_at_or_after, wall_to_instant

Interval = tuple[time, time]
Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Rules:
    """The business-wide rules a slot must satisfy."""

    zone: ZoneInfo
    step_minutes: int
    earliest: datetime  # now + minimum notice
    latest: datetime  # now + horizon
    closed_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class StaffSchedule:
    staff_id: int
    name: str
    weekly: Mapping[int, Sequence[Interval]]
    overrides: Mapping[date, Sequence[Interval]] = field(default_factory=dict)  # () = day off
    busy: Sequence[Span] = ()  # booked [start, blocked_until), sorted, non-overlapping

    def local_intervals(self, day: date, rules: Rules) -> Sequence[Interval]:
        if day in rules.closed_days:
            return ()
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())

    def working_spans(self, day: date, rules: Rules) -> list[Span]:
        """The day's working intervals as instants; DST gaps shorten them, overlaps lengthen."""
        return [
            (
                first_instant_at_or_after(day, opens, rules.zone),
                first_instant_at_or_after(day, closes, rules.zone),
            )
            for opens, closes in self.local_intervals(day, rules)
        ]

    @cached_property
    def _busy_ends(self) -> list[datetime]:
        return [end for _, end in self.busy]

    def is_free(self, start: datetime, block_end: datetime, ignore: Span | None = None) -> bool:
        """No busy range overlaps [start, block_end)."""
        index = bisect_right(self._busy_ends, start)
        while index < len(self.busy):
            busy_start, busy_end = self.busy[index]
            if busy_start >= block_end:
                return True
            if (busy_start, busy_end) != ignore and busy_end > start:
                return False
            index += 1
        return True


class FreeStart(NamedTuple):
    """A free start (a tuple: a search of ten staff over two weeks makes thousands)."""

    staff_id: int
    staff_name: str
    starts_at: datetime
    ends_at: datetime


def _grid_times(step_minutes: int, opens: time, closes: time) -> Iterator[time]:
    """Wall times on the step grid (counted from midnight) within [opens, closes)."""
    first = opens.hour * 60 + opens.minute
    first += -first % step_minutes
    for minute in range(first, closes.hour * 60 + closes.minute, step_minutes):
        yield time(minute // 60, minute % 60)


def fits_working_hours(
    schedule: StaffSchedule, rules: Rules, start: datetime, end: datetime
) -> bool:
    """Whether [start, end) lies inside one working interval of the start's local day."""
    day = start.astimezone(rules.zone).date()
    spans = schedule.working_spans(day, rules)
    return any(opens <= start and end <= closes for opens, closes in spans)


def free_starts(
    schedule: StaffSchedule,
    rules: Rules,
    first_day: date,
    last_day: date,
    duration: timedelta,
    buffer: timedelta,
) -> list[FreeStart]:
    """Every free start time on the step grid (local wall clock) over the inclusive day range."""
    found: list[FreeStart] = []
    day = first_day
    while day <= last_day:
        local = schedule.local_intervals(day, rules)
        for (wall_open, wall_close), (opens, closes) in zip(
            local, schedule.working_spans(day, rules), strict=True
        ):
            offset = opens.astimezone(rules.zone).utcoffset()
            if offset is not None and offset == closes.astimezone(rules.zone).utcoffset():
                found += _free_in_steady_span(
                    schedule, rules, day, offset, opens, closes, duration, buffer
                )
            else:
                found += _free_across_clock_change(
                    schedule, rules, day, (wall_open, wall_close), (opens, closes), duration, buffer
                )
        day += timedelta(days=1)
    found.sort(key=lambda slot: slot.starts_at)
    return found


def _free_in_steady_span(
    schedule: StaffSchedule,
    rules: Rules,
    day: date,
    offset: timedelta,
    opens: datetime,
    closes: datetime,
    duration: timedelta,
    buffer: timedelta,
) -> list[FreeStart]:
    """Free starts in a span with no clock change: walk the gaps between busy ranges.

    With one UTC offset throughout, grid wall times are evenly spaced instants from the local
    midnight, so the cost follows the number of free starts and busy ranges, not grid points.
    """
    lowest = max(opens, rules.earliest)
    highest = min(closes - duration, rules.latest)  # the last start allowed, inclusive
    if lowest > highest:
        return []
    midnight = datetime.combine(day, time(0), tzinfo=UTC) - offset
    step = timedelta(minutes=rules.step_minutes)
    block = duration + buffer
    found: list[FreeStart] = []

    staff_id, name = schedule.staff_id, schedule.name

    def grid_starts(first: datetime, last: datetime) -> None:
        if last < first:  # back-to-back bookings leave no gap: the common case in a full book
            return
        start = midnight + -((midnight - first) // step) * step  # first grid instant >= first
        while start <= last:
            found.append(FreeStart(staff_id, name, start, start + duration))
            start += step

    free_from = lowest
    beyond = highest + block  # a busy range starting here or later cannot shorten the span
    index = bisect_right(schedule._busy_ends, lowest)  # busy ranges ending after `lowest`
    for busy_start, busy_end in schedule.busy[index:]:
        if busy_start >= beyond:
            break
        grid_starts(free_from, min(highest, busy_start - block))
        free_from = max(free_from, busy_end)
        if free_from > highest:
            return found
    grid_starts(free_from, highest)
    return found


def _free_across_clock_change(
    schedule: StaffSchedule,
    rules: Rules,
    day: date,
    wall: Interval,
    span: Span,
    duration: timedelta,
    buffer: timedelta,
) -> list[FreeStart]:
    """Free starts in a span the clocks change inside: each grid wall time converted exactly."""
    opens, closes = span
    found: list[FreeStart] = []
    for at in _grid_times(rules.step_minutes, *wall):
        start = wall_to_instant(day, at, rules.zone)
        if start is None or start < opens or start < rules.earliest:
            continue
        end = start + duration
        if end > closes or start > rules.latest:
            continue
        if schedule.is_free(start, end + buffer):
            found.append(FreeStart(schedule.staff_id, schedule.name, start, end))
    return found

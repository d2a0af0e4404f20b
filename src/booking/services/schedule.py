"""Pure schedule arithmetic: working intervals as instants and the free start times in them.

No database here, so the rules can be checked exhaustively (tests compare `free_starts` with a
minute-by-minute oracle). A new appointment blocks [start, end + buffer); it must lie within one
working interval from start to end, and its blocked range may overlap no busy range.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
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


@dataclass(frozen=True)
class FreeStart:
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
            for wall in _grid_times(rules.step_minutes, wall_open, wall_close):
                start = wall_to_instant(day, wall, rules.zone)
                if start is None or start < opens or start < rules.earliest:
                    continue
                end = start + duration
                if end > closes or start > rules.latest:
                    continue
                if schedule.is_free(start, end + buffer):
                    found.append(FreeStart(schedule.staff_id, schedule.name, start, end))
        day += timedelta(days=1)
    found.sort(key=lambda slot: slot.starts_at)
    return found

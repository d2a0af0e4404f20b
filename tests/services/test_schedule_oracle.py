"""`schedule.free_starts` against an independent minute-by-minute oracle (pure, no database).

The oracle walks every UTC minute of the requested local days and keeps an instant u when:
- its local reading is a first occurrence (fold == 0), on a day in range, on the step grid
  counted from local midnight;
- [u, u + duration) lies inside one working interval of u's local day, whose bounds are the first
  instants whose wall time is at or after the interval's opening and closing times (computed
  here by brute force over the day's minutes, not by `localtime`);
- [u, u + duration + buffer) overlaps no busy range;
- earliest <= u <= latest.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from booking.services.localtime import day_bounds
from booking.services.schedule import (
    FreeStart,
    Rules,
    StaffSchedule,
    fits_working_hours,
    free_starts,
)

MINUTE = timedelta(minutes=1)
# Per zone, the days on which its clocks change (and one ordinary summer day for each).
TRANSITION_DAYS = {
    "America/New_York": [date(2027, 3, 14), date(2027, 11, 7)],  # 02:00->03:00, 02:00->01:00
    "Europe/London": [date(2027, 3, 28), date(2027, 10, 31)],  # 01:00->02:00, 02:00->01:00
    "Australia/Lord_Howe": [date(2027, 10, 3), date(2027, 4, 4)],  # 02:00->02:30, 02:00->01:30
    "UTC": [date(2027, 3, 14)],
}
ORDINARY_DAY = date(2027, 6, 15)

Interval = tuple[time, time]


# ---------------------------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------------------------


@functools.cache
def _day_minutes(day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime, int]]:
    """(instant, naive wall reading, fold) for every UTC minute whose local date is `day`."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    found = []
    for offset in range(30 * 60):
        instant = start + offset * MINUTE
        local = instant.astimezone(zone)
        if local.date() == day:
            found.append((instant, local.replace(tzinfo=None), local.fold))
    return found


def _bound(minutes: list[tuple[datetime, datetime, int]], day: date, at: time) -> datetime:
    """First instant of the day whose wall reading is at or after `at` (brute force)."""
    wanted = datetime.combine(day, at)
    for instant, wall, _ in minutes:
        if wall >= wanted:
            return instant
    raise AssertionError("an interval bound beyond the end of the day")


def oracle(
    schedule: StaffSchedule,
    rules: Rules,
    first_day: date,
    last_day: date,
    duration: timedelta,
    buffer: timedelta,
) -> list[FreeStart]:
    zone = rules.zone
    found = []
    day = first_day
    while day <= last_day:
        minutes = _day_minutes(day, zone)
        if day in rules.closed_days:
            intervals: tuple[Interval, ...] | list[Interval] = ()
        elif day in schedule.overrides:
            intervals = schedule.overrides[day]
        else:
            intervals = schedule.weekly.get(day.weekday(), ())
        spans = [(_bound(minutes, day, o), _bound(minutes, day, c)) for o, c in intervals]
        for u, wall, fold in minutes:
            if fold != 0:
                continue
            if (wall.hour * 60 + wall.minute) % rules.step_minutes:
                continue
            if not rules.earliest <= u <= rules.latest:
                continue
            end = u + duration
            if not any(opens <= u and end <= closes for opens, closes in spans):
                continue
            block_end = end + buffer
            if any(b_start < block_end and u < b_end for b_start, b_end in schedule.busy):
                continue
            found.append(FreeStart(schedule.staff_id, schedule.name, u, end))
        day += timedelta(days=1)
    return sorted(found, key=lambda slot: slot.starts_at)


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

# Minutes of the day, biased towards the small hours where the clocks change.
wall_minutes = st.one_of(st.integers(0, 1439), st.integers(0, 240), st.integers(60, 180))


@st.composite
def intervals(draw: st.DrawFn) -> list[Interval]:
    """Sorted, non-overlapping (possibly touching) intervals within 00:00-23:59."""
    found = []
    opens = draw(wall_minutes)
    for _ in range(draw(st.integers(1, 3))):
        closes = min(opens + draw(st.one_of(st.integers(60, 600), st.integers(1, 90))), 1439)
        if closes <= opens:
            break
        found.append((time(opens // 60, opens % 60), time(closes // 60, closes % 60)))
        opens = closes + draw(st.one_of(st.just(0), st.integers(1, 240)))
    return found


@st.composite
def scenarios(draw: st.DrawFn):
    zone_name = draw(st.sampled_from(sorted(TRANSITION_DAYS)))
    zone = ZoneInfo(zone_name)
    anchor = draw(st.sampled_from([*TRANSITION_DAYS[zone_name], ORDINARY_DAY]))
    first_day = anchor - timedelta(days=draw(st.integers(0, 1)))
    last_day = first_day + timedelta(days=draw(st.integers(0, 2)))
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]

    # Hours only matter on the weekdays in range; one of them sometimes has none at all.
    weekly = {d: draw(intervals()) for d in sorted({day.weekday() for day in days})}
    if draw(st.integers(0, 5)) == 0:
        weekly.pop(draw(st.sampled_from(sorted(weekly))))
    overrides = {}
    for day in days:
        if draw(st.integers(0, 3)) == 0:
            overrides[day] = draw(st.one_of(st.just([]), intervals()))
    closed = frozenset(day for day in days if draw(st.integers(0, 7)) == 0)

    range_start, range_end = day_bounds(first_day, last_day, zone)
    total = int((range_end - range_start) / MINUTE)
    busy = []
    cursor = range_start - timedelta(minutes=draw(st.integers(0, 300)))
    for _ in range(draw(st.integers(0, 6))):
        cursor += timedelta(minutes=draw(st.one_of(st.integers(0, 60), st.integers(60, 900))))
        end = cursor + timedelta(minutes=draw(st.integers(1, 120)))
        busy.append((cursor, end))
        cursor = end

    # Usually leave the whole range open; sometimes cut it with the notice and the horizon.
    earliest = range_start - timedelta(days=1)
    if draw(st.integers(0, 2)) == 0:
        earliest = range_start + timedelta(minutes=draw(st.integers(-120, total)))
    latest = range_end + timedelta(days=1)
    if draw(st.integers(0, 2)) == 0:
        latest = earliest + timedelta(minutes=draw(st.integers(-30, total + 60)))
    rules = Rules(
        zone=zone,
        step_minutes=draw(st.one_of(st.sampled_from([5, 10, 15, 30, 60]), st.integers(5, 60))),
        earliest=earliest,
        latest=latest,
        closed_days=closed,
    )
    schedule = StaffSchedule(7, "Kim", weekly=weekly, overrides=overrides, busy=busy)
    duration = timedelta(minutes=draw(st.one_of(st.integers(5, 60), st.integers(5, 180))))
    buffer = timedelta(minutes=draw(st.one_of(st.just(0), st.integers(0, 60))))
    return schedule, rules, first_day, last_day, duration, buffer


def _rules(zone: str, step: int = 15) -> Rules:
    return Rules(
        zone=ZoneInfo(zone),
        step_minutes=step,
        earliest=datetime(2020, 1, 1, tzinfo=UTC),
        latest=datetime(2030, 1, 1, tzinfo=UTC),
    )


def _night_shift(day: date, opens: time, closes: time) -> StaffSchedule:
    return StaffSchedule(1, "Night", weekly={day.weekday(): [(opens, closes)]})


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(  # New York fall-back night: 01:00-03:00 lasts three hours; second 01:xx not offered.
    (
        _night_shift(date(2027, 11, 7), time(1), time(3)),
        _rules("America/New_York"),
        date(2027, 11, 7),
        date(2027, 11, 7),
        timedelta(minutes=60),
        timedelta(minutes=10),
    )
)
@example(  # Lord Howe spring-forward night: the half-hour gap shortens 01:00-03:00.
    (
        _night_shift(date(2027, 10, 3), time(1), time(3)),
        _rules("Australia/Lord_Howe", step=10),
        date(2027, 10, 3),
        date(2027, 10, 3),
        timedelta(minutes=30),
        timedelta(0),
    )
)
@given(scenarios())
def test_free_starts_matches_minute_by_minute_oracle(scenario):
    """free_starts returns exactly the starts the brute-force oracle finds, in time order."""
    schedule, rules, first_day, last_day, duration, buffer = scenario
    got = free_starts(schedule, rules, first_day, last_day, duration, buffer)
    assert got == oracle(schedule, rules, first_day, last_day, duration, buffer)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_free_start_fits_hours_and_is_free(scenario):
    """Every start offered passes the checks booking applies (hours, then busy ranges)."""
    schedule, rules, first_day, last_day, duration, buffer = scenario
    for slot in free_starts(schedule, rules, first_day, last_day, duration, buffer):
        assert fits_working_hours(schedule, rules, slot.starts_at, slot.ends_at)
        assert schedule.is_free(slot.starts_at, slot.ends_at + buffer)
        assert slot.ends_at - slot.starts_at == duration


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 40)), max_size=8),
    start=st.integers(-20, 400),
    length=st.integers(1, 120),
)
def test_is_free_matches_brute_force(gaps, start, length):
    """is_free is true exactly when no busy range overlaps [start, block_end)."""
    base = datetime(2027, 1, 1, tzinfo=UTC)
    busy = []
    cursor = base
    for gap, size in gaps:
        cursor += timedelta(minutes=gap)
        busy.append((cursor, cursor + timedelta(minutes=size)))
        cursor += timedelta(minutes=size)
    schedule = StaffSchedule(1, "Kim", weekly={}, busy=busy)
    begin = base + timedelta(minutes=start)
    block_end = begin + timedelta(minutes=length)
    expected = not any(s < block_end and begin < e for s, e in busy)
    assert schedule.is_free(begin, block_end) is expected


# ---------------------------------------------------------------------------------------------
# Hand-checked cases (the expected instants are written out, not computed)
# ---------------------------------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _starts(schedule: StaffSchedule, rules: Rules, day: date, minutes: int, buffer: int = 0):
    found = free_starts(
        schedule, rules, day, day, timedelta(minutes=minutes), timedelta(minutes=buffer)
    )
    return [slot.starts_at for slot in found]


def test_new_york_spring_forward_night_skips_the_missing_hour():
    """01:00-04:00 on 2027-03-14 in New York is two real hours: 01:00-01:59 EST, 03:00-03:59 EDT;
    02:xx starts are never offered."""
    day = date(2027, 3, 14)
    got = _starts(_night_shift(day, time(1), time(4)), _rules("America/New_York", 30), day, 30)
    assert got == [
        _utc(2027, 3, 14, 6),
        _utc(2027, 3, 14, 6, 30),
        _utc(2027, 3, 14, 7),
        _utc(2027, 3, 14, 7, 30),
    ]


def test_new_york_fall_back_night_offers_first_occurrences_only():
    """01:00-03:00 on 2027-11-07 in New York spans three real hours; starts are 01:00 and 01:30
    EDT, then 02:00 and 02:30 EST (the repeated 01:xx EST is never a start), and a 90-minute
    appointment from 01:30 EDT fits because the hours really last until 08:00 UTC."""
    day = date(2027, 11, 7)
    schedule = _night_shift(day, time(1), time(3))
    rules = _rules("America/New_York", 30)
    assert _starts(schedule, rules, day, 30) == [
        _utc(2027, 11, 7, 5),
        _utc(2027, 11, 7, 5, 30),
        _utc(2027, 11, 7, 7),
        _utc(2027, 11, 7, 7, 30),
    ]
    assert _starts(schedule, rules, day, 150) == [_utc(2027, 11, 7, 5), _utc(2027, 11, 7, 5, 30)]


def test_hours_opening_inside_a_gap_open_when_the_clock_jumps():
    """Hours 02:30-04:00 on the New York spring-forward day open at 03:00 EDT (07:00 UTC)."""
    day = date(2027, 3, 14)
    got = _starts(_night_shift(day, time(2, 30), time(4)), _rules("America/New_York", 30), day, 60)
    assert got == [_utc(2027, 3, 14, 7)]


def test_lord_howe_half_hour_gap():
    """In Lord Howe on 2027-10-03 the clock jumps 02:00 -> 02:30: with hours 01:00-03:00 and a
    30-minute step the starts are 01:00, 01:30, 02:30 (+10:30 then +11:00)."""
    day = date(2027, 10, 3)
    got = _starts(_night_shift(day, time(1), time(3)), _rules("Australia/Lord_Howe", 30), day, 30)
    assert got == [_utc(2027, 10, 2, 14, 30), _utc(2027, 10, 2, 15), _utc(2027, 10, 2, 15, 30)]


def test_buffer_and_busy_and_touching_intervals():
    """A new block [start, end + buffer) may not reach into a busy range, a busy range ending
    at a start does not block it, the buffer may run past closing time, and an appointment may
    not straddle two touching intervals."""
    day = date(2027, 6, 15)
    schedule = StaffSchedule(
        1,
        "Kim",
        weekly={day.weekday(): [(time(9), time(10)), (time(10), time(11))]},
        busy=[(_utc(2027, 6, 15, 9, 30), _utc(2027, 6, 15, 10))],
    )
    got = _starts(schedule, _rules("UTC", 15), day, 15, buffer=15)
    assert got == [
        _utc(2027, 6, 15, 9),
        _utc(2027, 6, 15, 10),
        _utc(2027, 6, 15, 10, 15),
        _utc(2027, 6, 15, 10, 30),
        _utc(2027, 6, 15, 10, 45),  # the buffer may run past closing time
    ]
    assert _starts(schedule, _rules("UTC", 15), day, 90) == []


@pytest.mark.parametrize("step", [7, 25, 60])
def test_step_grid_counts_from_local_midnight(step):
    """Starts sit on multiples of the step from local midnight, not from the opening time."""
    day = date(2027, 6, 15)
    schedule = _night_shift(day, time(9, 2), time(12))
    got = _starts(schedule, _rules("Europe/London", step), day, 5)
    assert got
    for instant in got:
        local = instant.astimezone(ZoneInfo("Europe/London"))
        assert (local.hour * 60 + local.minute) % step == 0
        assert local.time() >= time(9, 2)

"""Wall-clock times versus UTC instants around DST gaps and overlaps (pure, no database).

Transitions used (all verified against the tz database):
- America/New_York: 2027-03-14 02:00 EST -> 03:00 EDT (gap 02:00-02:59);
  2027-11-07 02:00 EDT -> 01:00 EST (01:00-01:59 happens twice).
- Europe/London: 2027-03-28 01:00 GMT -> 02:00 BST (gap 01:00-01:59);
  2027-10-31 02:00 BST -> 01:00 GMT (01:00-01:59 happens twice).
- Australia/Lord_Howe (30-minute DST): 2027-10-03 02:00 -> 02:30 (gap 02:00-02:29);
  2027-04-04 02:00 -> 01:30 (01:30-01:59 happens twice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.errors import InvalidInput
from booking.services import localtime

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (zone, day, a wall time inside the gap, the instant the clock jumps to after the gap)
GAPS = [
    (NY, date(2027, 3, 14), time(2, 30), utc(2027, 3, 14, 7)),
    (NY, date(2027, 3, 14), time(2, 0), utc(2027, 3, 14, 7)),
    (NY, date(2027, 3, 14), time(2, 59), utc(2027, 3, 14, 7)),
    (LONDON, date(2027, 3, 28), time(1, 30), utc(2027, 3, 28, 1)),
    (LONDON, date(2027, 3, 28), time(1, 0), utc(2027, 3, 28, 1)),
    (LORD_HOWE, date(2027, 10, 3), time(2, 15), utc(2027, 10, 2, 15, 30)),
    (LORD_HOWE, date(2027, 10, 3), time(2, 0), utc(2027, 10, 2, 15, 30)),
]

# (zone, day, an ambiguous wall time, its first occurrence, its second occurrence)
OVERLAPS = [
    (NY, date(2027, 11, 7), time(1, 30), utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 6, 30)),
    (NY, date(2027, 11, 7), time(1, 0), utc(2027, 11, 7, 5), utc(2027, 11, 7, 6)),
    (LONDON, date(2027, 10, 31), time(1, 30), utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1, 30)),
    (
        LORD_HOWE,
        date(2027, 4, 4),
        time(1, 45),
        utc(2027, 4, 3, 14, 45),
        utc(2027, 4, 3, 15, 15),
    ),
]

GAP_IDS = [f"{z.key}-{d}-{t}" for z, d, t, _ in GAPS]
OVERLAP_IDS = [f"{z.key}-{d}-{t}" for z, d, t, _, _ in OVERLAPS]


@pytest.mark.parametrize(("zone", "day", "at", "after_gap"), GAPS, ids=GAP_IDS)
def test_gap_wall_time_does_not_exist(zone, day, at, after_gap):
    """A wall time inside a spring-forward gap does not exist, whichever fold is asked for."""
    for fold in (0, 1):
        assert not localtime.exists(datetime.combine(day, at, tzinfo=zone).replace(fold=fold))


@pytest.mark.parametrize(("zone", "day", "at", "after_gap"), GAPS, ids=GAP_IDS)
def test_gap_wall_time_has_no_instant(zone, day, at, after_gap):
    """wall_to_instant gives None for a wall time in a gap, rather than a shifted instant."""
    assert localtime.wall_to_instant(day, at, zone) is None


@pytest.mark.parametrize(("zone", "day", "at", "after_gap"), GAPS, ids=GAP_IDS)
def test_gap_bound_is_the_moment_the_clock_passes_it(zone, day, at, after_gap):
    """As a bound of hours, a gap wall time means the first instant whose wall time is >= it."""
    instant = localtime.first_instant_at_or_after(day, at, zone)
    assert instant == after_gap
    assert instant.astimezone(zone).replace(tzinfo=None) >= datetime.combine(day, at)
    # One minute earlier the wall clock still read before the gap, i.e. before `at`.
    earlier = (instant - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
    assert earlier < datetime.combine(day, at)


@pytest.mark.parametrize(("zone", "day", "at", "after_gap"), GAPS, ids=GAP_IDS)
def test_gap_time_requested_by_a_person_is_refused(zone, day, at, after_gap):
    """require_instant refuses a gap wall time with InvalidInput naming appointment_time."""
    with pytest.raises(InvalidInput) as raised:
        localtime.require_instant(day, at, zone)
    assert raised.value.field == "appointment_time"
    assert "does not exist" in raised.value.message
    assert at.strftime("%H:%M") in raised.value.message


def test_require_instant_names_the_given_field():
    """require_instant names the field it is told to, so callers can report the right one."""
    with pytest.raises(InvalidInput) as raised:
        localtime.require_instant(date(2027, 3, 14), time(2, 30), NY, field="new_time")
    assert raised.value.field == "new_time"


@pytest.mark.parametrize(("zone", "day", "at", "first", "second"), OVERLAPS, ids=OVERLAP_IDS)
def test_ambiguous_wall_time_exists(zone, day, at, first, second):
    """An ambiguous wall time (clocks go back) exists in both of its readings."""
    for fold in (0, 1):
        assert localtime.exists(datetime.combine(day, at, tzinfo=zone).replace(fold=fold))


@pytest.mark.parametrize(("zone", "day", "at", "first", "second"), OVERLAPS, ids=OVERLAP_IDS)
def test_ambiguous_wall_time_means_first_occurrence(zone, day, at, first, second):
    """wall_to_instant, first_instant_at_or_after and require_instant pick the first occurrence."""
    assert second.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, at)
    assert localtime.wall_to_instant(day, at, zone) == first
    assert localtime.first_instant_at_or_after(day, at, zone) == first
    assert localtime.require_instant(day, at, zone) == first
    assert first.astimezone(zone).fold == 0
    assert second.astimezone(zone).fold == 1


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (NY, date(2027, 3, 14), time(1, 59), utc(2027, 3, 14, 6, 59)),
        (NY, date(2027, 3, 14), time(3, 0), utc(2027, 3, 14, 7)),
        (NY, date(2027, 11, 7), time(2, 0), utc(2027, 11, 7, 7)),
        (NY, date(2027, 11, 7), time(0, 59), utc(2027, 11, 7, 4, 59)),
        (LONDON, date(2027, 3, 28), time(2, 0), utc(2027, 3, 28, 1)),
        (LONDON, date(2027, 10, 31), time(2, 0), utc(2027, 10, 31, 2)),
        (LORD_HOWE, date(2027, 10, 3), time(2, 30), utc(2027, 10, 2, 15, 30)),
        (LORD_HOWE, date(2027, 10, 3), time(1, 59), utc(2027, 10, 2, 15, 29)),
        (LORD_HOWE, date(2027, 4, 4), time(2, 0), utc(2027, 4, 3, 15, 30)),
        (ZoneInfo("UTC"), date(2027, 3, 14), time(2, 30), utc(2027, 3, 14, 2, 30)),
    ],
)
def test_ordinary_wall_times_around_transitions(zone, day, at, expected):
    """Wall times just outside a gap or overlap map to their one instant by every function."""
    assert localtime.exists(datetime.combine(day, at, tzinfo=zone))
    assert localtime.wall_to_instant(day, at, zone) == expected
    assert localtime.first_instant_at_or_after(day, at, zone) == expected
    assert localtime.require_instant(day, at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (NY, date(2027, 3, 14)),
        (NY, date(2027, 11, 7)),
        (LONDON, date(2027, 3, 28)),
        (LONDON, date(2027, 10, 31)),
        (LORD_HOWE, date(2027, 10, 3)),
        (LORD_HOWE, date(2027, 4, 4)),
    ],
)
def test_first_instant_at_or_after_is_monotonic_and_exact(zone, day):
    """Over every minute of a transition day the bound never goes backwards and, where the wall
    time exists, equals its first occurrence; otherwise it is the first instant past the gap."""
    previous = None
    for minute in range(24 * 60):
        at = time(minute // 60, minute % 60)
        bound = localtime.first_instant_at_or_after(day, at, zone)
        if previous is not None:
            assert bound >= previous
        previous = bound
        wanted = datetime.combine(day, at)
        reading = bound.astimezone(zone)
        assert reading.replace(tzinfo=None) >= wanted
        exact = localtime.wall_to_instant(day, at, zone)
        if exact is not None:
            assert bound == exact
            assert reading.replace(tzinfo=None) == wanted and reading.fold == 0
        else:
            before = (bound - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
            assert before < wanted


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (NY, date(2027, 3, 14), 23),
        (NY, date(2027, 11, 7), 25),
        (LONDON, date(2027, 3, 28), 23),
        (LONDON, date(2027, 10, 31), 25),
        (LORD_HOWE, date(2027, 10, 3), 23.5),
        (LORD_HOWE, date(2027, 4, 4), 24.5),
        (NY, date(2027, 6, 1), 24),
    ],
)
def test_day_bounds_span_the_real_length_of_the_day(zone, day, hours):
    """day_bounds covers a local day exactly: 23 h on a spring-forward day, 25 h on fall-back."""
    start, end = localtime.day_bounds(day, day, zone)
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, time(0))
    assert end.astimezone(zone).replace(tzinfo=None) == datetime.combine(
        day + timedelta(days=1), time(0)
    )


def test_to_local_keeps_the_fold_of_the_second_occurrence():
    """to_local marks the second reading of an ambiguous wall time with fold=1."""
    second = localtime.to_local(utc(2027, 11, 7, 6, 30), NY)
    assert (second.hour, second.minute, second.fold) == (1, 30, 1)
    assert second.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("value", ["2027-02-30", "tomorrow", "", "2027/03/14"])
def test_parse_date_rejects_non_dates(value):
    """parse_date refuses anything that is not a YYYY-MM-DD date, naming the field."""
    with pytest.raises(InvalidInput) as raised:
        localtime.parse_date(value, "start_date")
    assert raised.value.field == "start_date"


def test_parse_time_rejects_offsets_and_garbage():
    """parse_time accepts HH:MM (and HH:MM:00) and refuses seconds, an offset or a non-time:
    bookings are to the minute, and dropping seconds would book a time nobody asked for."""
    assert localtime.parse_time("09:30", "appointment_time") == time(9, 30)
    assert localtime.parse_time("09:30:00", "appointment_time") == time(9, 30)
    for value in ("09:30:45", "09:30+02:00", "25:00", "noon"):
        with pytest.raises(InvalidInput) as raised:
            localtime.parse_time(value, "appointment_time")
        assert raised.value.field == "appointment_time"

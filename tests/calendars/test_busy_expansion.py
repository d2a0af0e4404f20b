"""Turning iCalendar text into busy intervals: all-day events on the days the clocks change,
floating times in a skipped hour, events without an end, overlaps, and what is not a calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from booking.services.calendar_busy import NotICalendar, busy_intervals

ZONE = ZoneInfo("America/New_York")
WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))


def calendar(*events: str) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:e{i}@test\r\nDTSTAMP:20261001T000000Z\r\n{e}\r\nEND:VEVENT\r\n"
        for i, e in enumerate(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n".encode()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_an_all_day_event_blocks_the_local_day_also_when_the_clocks_change() -> None:
    """The day the clocks go forward is 23 hours long, the day they go back 25: an all-day
    event blocks exactly that local day, midnight to midnight."""
    found = busy_intervals(
        [calendar("DTSTART;VALUE=DATE:20270314", "DTSTART;VALUE=DATE:20261101\r\n"
                  "DTEND;VALUE=DATE:20261102")],
        ZONE, WINDOW,
    )  # fmt: skip
    assert found.busy == [
        (at("2026-11-01T00:00:00-04:00"), at("2026-11-02T00:00:00-05:00")),
        (at("2027-03-14T00:00:00-05:00"), at("2027-03-15T00:00:00-04:00")),
    ]
    assert [end - start for start, end in found.busy] == [
        datetime(2026, 1, 2, 1) - datetime(2026, 1, 1),
        datetime(2026, 1, 1, 23) - datetime(2026, 1, 1),
    ]


def test_a_floating_time_in_the_skipped_hour_starts_when_the_clock_resumes() -> None:
    """A floating 02:30 on the spring-forward night (a time that does not exist) is read as
    03:00 daylight time; the end, 03:30, as it is."""
    found = busy_intervals(
        [calendar("DTSTART:20270314T023000\r\nDTEND:20270314T033000")], ZONE, WINDOW
    )
    assert found.busy == [(at("2027-03-14T03:00:00-04:00"), at("2027-03-14T03:30:00-04:00"))]


def test_overlapping_events_are_one_interval_and_a_moment_blocks_nothing() -> None:
    """Two overlapping meetings make one busy interval; an event with a start and no end or
    duration takes no time and blocks nothing, but is still counted as seen."""
    found = busy_intervals(
        [calendar(
            "DTSTART:20261202T150000Z\r\nDTEND:20261202T160000Z",
            "DTSTART:20261202T153000Z\r\nDURATION:PT1H",
            "DTSTART:20261203T150000Z",
        )],
        ZONE, WINDOW,
    )  # fmt: skip
    assert found.busy == [(at("2026-12-02T15:00:00+00:00"), at("2026-12-02T16:30:00+00:00"))]
    assert found.events_seen == 3


def test_busy_times_are_clipped_to_the_window() -> None:
    """A holiday longer than the window is kept only within it."""
    found = busy_intervals(
        [calendar("DTSTART;VALUE=DATE:20260901\r\nDTEND;VALUE=DATE:20270501")], ZONE, WINDOW
    )
    assert found.busy == [WINDOW]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "an HTML page"),
        (b"\x89PNG\r\n\x1a\n", "something"),
        (b"", "something"),
    ],
)
def test_what_is_not_icalendar_is_refused_saying_what_it_was(text: bytes, said: str) -> None:
    """An HTML page, binary data or nothing at all is NotICalendar, saying what came."""
    with pytest.raises(NotICalendar, match=said):
        busy_intervals([text], ZONE, WINDOW)

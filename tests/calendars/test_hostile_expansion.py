"""Calendars made to cost: rules that repeat every second, from the year 1, inside a timezone
definition, or tens of thousands of events. Each is refused quickly with a reason the owner can
read, and an ordinary long-running series is still read."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from booking.services.calendar_busy import NotICalendar, busy_intervals
from booking.services.calendar_limits import MAX_OCCURRENCES

ZONE = ZoneInfo("America/New_York")
WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
QUICK_SECONDS = 5.0


def calendar(body: str) -> bytes:
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n".encode()


def event(uid: str, extra: str, start: str = "20261001T090000Z") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
        f"DURATION:PT30M\r\n{extra}END:VEVENT\r\n"
    )


EVIL_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Evil/Zone\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n"
    "RRULE:FREQ=SECONDLY\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19700101T000001\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=SECONDLY\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)

EVERY_SECOND_DAILY = (
    "RRULE:FREQ=DAILY;"
    + ";".join(f"{key}={','.join(map(str, range(n)))}" for key, n in
               (("BYHOUR", 24), ("BYMINUTE", 60), ("BYSECOND", 60)))
    + "\r\n"
)  # fmt: skip

HOSTILE = {
    "every second, no end": calendar(event("s", "RRULE:FREQ=SECONDLY\r\n")),
    "every day since the year 1, in three series": calendar(
        "".join(event(f"d{i}", "RRULE:FREQ=DAILY\r\n", "00010101T090000Z") for i in range(3))
    ),
    "every second by the lists of a daily rule": calendar(event("m", EVERY_SECOND_DAILY)),
    "a timezone whose rules change every second": calendar(
        EVIL_ZONE + "BEGIN:VEVENT\r\nUID:z\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Evil/Zone:20261002T090000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_rule_too_costly_to_expand_is_refused_at_once(name: str) -> None:
    """A rule whose expansion would walk millions of steps is refused before it is walked,
    within a moment, saying that an event repeats too often."""
    began = time.monotonic()
    with pytest.raises(NotICalendar, match="repeats too often"):
        busy_intervals([HOSTILE[name]], ZONE, WINDOW)
    assert time.monotonic() - began < QUICK_SECONDS


def test_more_events_than_the_limit_are_refused() -> None:
    """A calendar with more event occurrences in the window than the limit (here an event
    every minute) is refused, saying so, not turned into thousands of busy rows."""
    text = calendar(event("every-minute", "RRULE:FREQ=MINUTELY;INTERVAL=10\r\n"))
    with pytest.raises(NotICalendar, match=f"more than {MAX_OCCURRENCES:,} events"):
        busy_intervals([text], ZONE, WINDOW)


def test_many_single_events_past_the_limit_are_refused() -> None:
    """As many separate events as the limit plus one are refused as well."""
    body = "".join(event(f"e{i}", "") for i in range(MAX_OCCURRENCES + 1))
    with pytest.raises(NotICalendar, match="events within the booking horizon"):
        busy_intervals([calendar(body)], ZONE, WINDOW)


def test_an_ordinary_old_series_is_still_read() -> None:
    """A weekly meeting that began in 2001, a daily one since 2015 and a yearly birthday
    since 1950 are read as usual: the limits leave real calendars alone."""
    text = calendar(
        event("weekly", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\n", "20010101T150000Z")
        + event("daily", "RRULE:FREQ=DAILY;COUNT=100000\r\n", "20150101T120000Z")
        + event("birthday", "RRULE:FREQ=YEARLY\r\n", "19501015T170000Z")
    )
    found = busy_intervals([text], ZONE, WINDOW)
    assert found.events_seen > 200
    assert datetime(2026, 10, 15, 17, tzinfo=UTC) in {start for start, _ in found.busy}


BROKEN = {
    "components nested 20,000 deep": calendar(
        "BEGIN:VEVENT\r\n" * 20_000 + "END:VEVENT\r\n" * 20_000
    ),
    "an impossible date": calendar(event("bad", "RRULE:FREQ=DAILY\r\n", "20269999T999999Z")),
    "a rule that makes no sense": calendar(event("rule", "RRULE:FREQ=SOMETIMES;COUNT=x\r\n")),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_calendar_is_refused_saying_so(name: str) -> None:
    """Deeply nested components, an impossible date or a nonsense rule make NotICalendar (a
    recorded failure naming no more than the error's kind), quickly, not a crash."""
    began = time.monotonic()
    with pytest.raises(NotICalendar, match="could not be read"):
        busy_intervals([BROKEN[name]], ZONE, WINDOW)
    assert time.monotonic() - began < QUICK_SECONDS

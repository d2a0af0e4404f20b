"""A staff calendar's iCalendar text turned into busy intervals in UTC: recurrences expanded
(RRULE, RDATE, EXDATE, moved instances) within a window, Google's X-WR-TIMEZONE repaired,
floating times and all-day events read in the business's zone. Nothing else of an event is kept.

Skipped: free (TRANSP:TRANSPARENT) and cancelled events, zero-length events, and the events a
booking wrote (their UID says so), which are already counted as appointments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.services.calendar_limits import (
    MAX_OCCURRENCES,
    TooMuchToExpand,
    check_expansion_cost,
    too_many_occurrences,
)
from booking.services.calendar_uid import appointment_id_of
from booking.services.localtime import first_instant_at_or_after
from booking.services.schedule import Span


class NotICalendar(ValueError):
    """The text is not an iCalendar file (an HTML login page, an error page, garbage), or
    one too costly to expand (`calendar_limits`)."""


@dataclass(frozen=True)
class Expanded:
    """What one read of a calendar found: how many event occurrences in the window, and the
    busy intervals they make, sorted and merged."""

    events_seen: int
    busy: list[Span]


# Floating times and all-day events are read in the business's zone: up to a day either way.
_SLACK = timedelta(days=2)


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """An event time as an aware instant: floating times and dates are the business's wall
    clock (a date is its local midnight; a wall time the clocks skip counts from after it)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value
        return first_instant_at_or_after(value.date(), value.time(), zone)
    return first_instant_at_or_after(value, time(0), zone)


def _span(event: object, zone: ZoneInfo) -> Span | None:
    from icalendar import Event

    assert isinstance(event, Event)
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if appointment_id_of(str(event.get("UID", ""))) is not None:
        return None
    start_value = event.start
    try:
        end_value = event.end
    except Exception:  # no DTEND nor DURATION: a date lasts one day, a time no time
        end_value = start_value
    if not isinstance(start_value, datetime) and end_value <= start_value:
        end_value = start_value + timedelta(days=1)
    start, end = _instant(start_value, zone), _instant(end_value, zone)
    return (start, end) if end > start else None


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping and touching spans joined into one."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def parse(text: bytes) -> object:
    """One iCalendar object (a VCALENDAR), or NotICalendar saying what came instead."""
    from icalendar import Calendar

    head = text.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        looks = "an HTML page" if head.startswith((b"<!DOCTYPE", b"<HTML", b"<?XML")) else None
        raise NotICalendar(f"the address returned {looks or 'something'} instead of iCalendar")
    try:
        return Calendar.from_ical(text)
    except ValueError as exc:
        raise NotICalendar(f"the iCalendar file could not be read ({type(exc).__name__})") from None


def _occurrences(calendar: object, days: tuple[date, date]) -> Iterator[object]:
    """The events of each series between the days, made one at a time (the library's
    `between` makes them all before giving one, however many there are)."""
    import contextlib

    import recurring_ical_events

    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    start, stop = query.to_datetime(days[0]), query.to_datetime(days[1])
    for series in query.series:
        with contextlib.suppress(*query.suppressed_errors):
            for occurrence in series.between(start, stop):
                yield occurrence.as_component(False)


def busy_intervals(
    calendars: Iterable[bytes], zone: ZoneInfo, window: tuple[datetime, datetime]
) -> Expanded:
    """The busy intervals of iCalendar objects within [window), clipped to it.

    Several objects (a CalDAV calendar holds one per event series) are read one by one: each
    carries its own VTIMEZONE definitions."""
    import x_wr_timezone
    from icalendar import Calendar

    first, last = window
    # Expanded by local dates around the window: floating and all-day events have no instant
    # until read in the zone; the clipping below trims what the extra day brings.
    days = (first.astimezone(zone).date() - timedelta(days=1), last.astimezone(zone).date()
            + timedelta(days=2))  # fmt: skip
    seen = 0
    spans: list[Span] = []
    for text in calendars:
        calendar = parse(text)
        assert isinstance(calendar, Calendar)
        try:
            check_expansion_cost(calendar, last.astimezone(UTC).replace(tzinfo=None) + _SLACK)
            standard = x_wr_timezone.to_standard(calendar)
            for event in _occurrences(standard, days):
                span = _span(event, zone)
                seen += 1
                if seen > MAX_OCCURRENCES:
                    raise too_many_occurrences()
                if span is not None and span[1] > first and span[0] < last:
                    spans.append((max(span[0], first), min(span[1], last)))
        except TooMuchToExpand as exc:
            raise NotICalendar(str(exc)) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise NotICalendar(
                f"the calendar's events could not be read ({type(exc).__name__})"
            ) from None
    return Expanded(seen, merge(spans))

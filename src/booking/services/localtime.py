"""Wall-clock times in a business's zone versus UTC instants, including DST gaps and overlaps.

Rules (DESIGN.md): an ambiguous wall time (clocks go back) means its first occurrence; a wall
time that does not exist (clocks go forward) is refused when a caller asks for it, and means
"the moment the clock passes it" when it bounds working hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.errors import InvalidInput

_MINUTE = timedelta(minutes=1)


def exists(local: datetime) -> bool:
    """Whether an aware wall-clock datetime occurs at all (it does not inside a DST gap)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def wall_to_instant(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall time (first occurrence), or None if it does not exist."""
    local = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    return local.astimezone(UTC) if exists(local) else None


def first_instant_at_or_after(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant whose wall time on `day` is `at` or later (for bounds of hours)."""
    instant = wall_to_instant(day, at, zone)
    if instant is not None:
        return instant
    wanted = datetime.combine(day, at)
    # Inside a gap: start from the later-offset reading, which lies before the gap, and walk on.
    probe = datetime.combine(day, at, tzinfo=zone).replace(fold=1).astimezone(UTC)
    probe = probe.replace(second=0, microsecond=0)
    while probe.astimezone(zone).replace(tzinfo=None) < wanted:
        probe += _MINUTE
    return probe


def require_instant(
    day: date, at: time, zone: ZoneInfo, field: str = "appointment_time"
) -> datetime:
    """The instant of a wall time a person asked for; a time in a DST gap is refused."""
    instant = wall_to_instant(day, at, zone)
    if instant is None:
        raise InvalidInput(
            field,
            f"{at:%H:%M} does not exist on {day.isoformat()} in {zone.key} "
            "because the clocks go forward; choose another time",
        )
    return instant


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants at which local day `first` starts and local day `last` ends."""
    return (
        first_instant_at_or_after(first, time(0), zone),
        first_instant_at_or_after(last + timedelta(days=1), time(0), zone),
    )


# Dates a booking system can reason about: converting year 1 or 9999 to an instant in another
# zone, or adding a day to it, overflows Python's calendar.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def parse_date(value: str, field: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(field, f"{value!r} is not a date in the form YYYY-MM-DD") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise InvalidInput(
            field, f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
        )
    return parsed


def parse_time(value: str, field: str) -> time:
    try:
        parsed = time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(field, f"{value!r} is not a time in the form HH:MM") from None
    if parsed.tzinfo is not None:
        raise InvalidInput(field, "give a local wall-clock time without an offset")
    if parsed.second or parsed.microsecond:
        # Bookings are to the minute; silently dropping seconds would book another time.
        raise InvalidInput(field, f"{value!r} has seconds; give hours and minutes, HH:MM")
    return parsed

"""Times in iCalendar as calendar apps read them: the zone's VTIMEZONE, and wall-clock times
in it (shared by the staff feed and the customers' invitations)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from booking.services.localtime import wall_to_instant

# icalendar (~0.05 s to import) is imported where a calendar is rendered, not at start-up.
if TYPE_CHECKING:
    from icalendar import Timezone


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of a zone's rules over whole years (slow enough to be worth keeping)."""
    from icalendar import Timezone

    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant in the business's zone; in the repeated hour when clocks go back, where a
    TZID wall time would mean the first occurrence, the second occurrence is given in UTC."""
    local = instant.astimezone(zone)
    if wall_to_instant(local.date(), local.time(), zone) != instant:
        return instant
    return local

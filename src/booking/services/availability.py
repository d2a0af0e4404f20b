"""Free times: load schedules and bookings for a date range, then ask `schedule` for starts."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import (
    Appointment,
    AppointmentStatus,
    BusyInterval,
    DateOverride,
    Service,
    Staff,
    WeeklyHours,
    staff_services,
)
from booking.services.businesses import BusinessInfo, read_business
from booking.services.calendar_busy import merge
from booking.services.localtime import day_bounds
from booking.services.schedule import FreeStart, Interval, Rules, StaffSchedule, free_starts

DEFAULT_DURATION_MINUTES = 30
MAX_RANGE_DAYS = 62
# One search looks at no more than this many (staff member, day) pairs: 40 staff working all
# day on a 5-minute step over two months built a 98 MB answer in 9.5 s and stalled every call.
MAX_STAFF_DAYS = 400
# Above this many staff-days the slots are worked out piece by piece, so the event loop that
# also carries the calls' tools keeps answering; a call's own search is done in one go.
INLINE_STAFF_DAYS = 60
# No appointment blocks more than this (service duration and buffer are capped well below),
# so bookings that can touch a range start at most this long before it: keeps queries indexed.
# A new appointment's buffer can run past the range's end, so bookings starting up to this long
# after it are loaded too.
LONGEST_BLOCK = timedelta(days=1)


class Slot(NamedTuple):
    """A free start time, with both the instant and the wall-clock reading a person hears.

    A tuple rather than a dataclass: a search of ten staff over two weeks builds thousands."""

    staff_id: int
    staff_name: str
    starts_at: datetime
    ends_at: datetime
    local_start: datetime

    @property
    def local_date(self) -> date:
        return self.local_start.date()

    @property
    def local_time(self) -> time:
        return self.local_start.time().replace(tzinfo=None)


@dataclass(frozen=True)
class Need:
    """How long a booking lasts and the buffer after it, from a service or a plain duration."""

    duration: timedelta
    buffer: timedelta
    service_id: int | None = None
    service_name: str | None = None


def rules_for(business: BusinessInfo, now: datetime, first: date, last: date) -> Rules:
    closed = frozenset(
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if business.is_closed_on(first + timedelta(days=i))
    )
    return Rules(
        zone=business.zone,
        step_minutes=business.slot_step_minutes,
        earliest=now + timedelta(minutes=business.min_notice_minutes),
        latest=now + timedelta(days=business.horizon_days),
        closed_days=closed,
    )


# Built once: on the paths a caller waits on, building a statement costs more than running it.
_services = Service.__table__
_SERVICE = select(
    _services.c.id,
    _services.c.business_id,
    _services.c.name,
    _services.c.duration_minutes,
    _services.c.buffer_minutes,
    _services.c.active,
).where(_services.c.id == bindparam("service_id"))


async def resolve_need(
    session: AsyncSession,
    business_id: int,
    service_id: int | None,
    duration_minutes: int | None,
) -> Need:
    if service_id is not None:
        service = (await session.execute(_SERVICE, {"service_id": service_id})).first()
        if service is None or service.business_id != business_id:
            raise NotFound("service", service_id)
        if not service.active:
            raise InvalidInput("service_id", "that service is no longer offered")
        minutes = service.duration_minutes if duration_minutes is None else duration_minutes
        if not 5 <= minutes <= 720:
            raise InvalidInput("duration_minutes", "must be between 5 and 720")
        return Need(
            timedelta(minutes=minutes),
            timedelta(minutes=service.buffer_minutes),
            service.id,
            service.name,
        )
    minutes = DEFAULT_DURATION_MINUTES if duration_minutes is None else duration_minutes
    if not 5 <= minutes <= 720:
        raise InvalidInput("duration_minutes", "must be between 5 and 720")
    return Need(timedelta(minutes=minutes), timedelta(0))


@dataclass(frozen=True)
class Candidate:
    """A staff member who could take a booking: who, and their weekly hours."""

    id: int
    name: str
    weekly: Mapping[int, Sequence[Interval]]


_staff, _hours, _overrides = Staff.__table__, WeeklyHours.__table__, DateOverride.__table__
_appointments = Appointment.__table__
_PERFORMS = (
    exists()
    .where(
        staff_services.c.staff_id == _staff.c.id,
        staff_services.c.service_id == bindparam("service_id"),
    )
    .correlate(_staff)
)
# A staff member's rows, one per weekly interval (or one with no hours): one query, not two.
_WITH_HOURS = _staff.outerjoin(_hours, _hours.c.staff_id == _staff.c.id)
_HOURS_COLUMNS = (_hours.c.weekday, _hours.c.opens_at, _hours.c.closes_at)
_NAMED_MEMBER = (
    select(_staff.c.id, _staff.c.name, _staff.c.active, _PERFORMS.label("performs"))
    .add_columns(*_HOURS_COLUMNS)
    .select_from(_WITH_HOURS)
    .where(_staff.c.id == bindparam("staff_id"), _staff.c.business_id == bindparam("business_id"))
)
_ACTIVE_MEMBERS = (
    select(_staff.c.id, _staff.c.name, *_HOURS_COLUMNS)
    .select_from(_WITH_HOURS)
    .where(_staff.c.business_id == bindparam("business_id"), _staff.c.active.is_(True))
    .order_by(_staff.c.id)
)
_ACTIVE_PERFORMERS = _ACTIVE_MEMBERS.where(_PERFORMS)
_OVERRIDES = select(
    _overrides.c.staff_id, _overrides.c.on_date, _overrides.c.opens_at, _overrides.c.closes_at
).where(
    _overrides.c.staff_id.in_(bindparam("ids", expanding=True)),
    _overrides.c.on_date >= bindparam("first"),
    _overrides.c.on_date <= bindparam("last"),
)
_BUSY = (
    select(_appointments.c.staff_id, _appointments.c.starts_at, _appointments.c.blocked_until)
    .where(
        _appointments.c.staff_id.in_(bindparam("ids", expanding=True)),
        _appointments.c.status == AppointmentStatus.BOOKED,
        _appointments.c.starts_at >= bindparam("loaded_from"),
        _appointments.c.starts_at < bindparam("loaded_until"),
        _appointments.c.blocked_until > bindparam("range_start"),
    )
    .order_by(_appointments.c.staff_id, _appointments.c.starts_at)
)
_BUSY_EXCEPT = _BUSY.where(_appointments.c.id != bindparam("exclude"))
# The staff's own calendars (ICS feeds, CalDAV), read by the sync: on the staff-time index.
_calendar_busy = BusyInterval.__table__
_CALENDAR_BUSY = (
    select(_calendar_busy.c.staff_id, _calendar_busy.c.starts_at, _calendar_busy.c.ends_at)
    .where(
        _calendar_busy.c.staff_id.in_(bindparam("ids", expanding=True)),
        _calendar_busy.c.starts_at < bindparam("loaded_until"),
        _calendar_busy.c.ends_at > bindparam("range_start"),
    )
    .order_by(_calendar_busy.c.staff_id, _calendar_busy.c.starts_at)
)


async def load_schedules(
    session: AsyncSession,
    staff: Sequence[Candidate],
    first: date,
    last: date,
    zone_business: BusinessInfo,
    exclude_appointment_id: int | None = None,
) -> list[StaffSchedule]:
    """Schedules with overrides, booked ranges and the staff's own busy times (their
    calendars) that can touch [first, last] (local days)."""
    ids = [s.id for s in staff]
    if not ids:
        return []
    range_start, range_end = day_bounds(first, last, zone_business.zone)
    overrides: dict[int, dict[date, list[tuple[time, time]]]] = defaultdict(dict)
    rows = await session.execute(_OVERRIDES, {"ids": ids, "first": first, "last": last})
    for staff_id, on_date, opens_at, closes_at in rows.all():
        day = overrides[staff_id].setdefault(on_date, [])
        if opens_at is not None and closes_at is not None:
            day.append((opens_at, closes_at))
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    params = {
        "ids": ids,
        "loaded_from": range_start - LONGEST_BLOCK,
        "loaded_until": range_end + LONGEST_BLOCK,
        "range_start": range_start,
    }
    query = _BUSY
    if exclude_appointment_id is not None:
        query, params["exclude"] = _BUSY_EXCEPT, exclude_appointment_id
    # .all() fetches in one call; iterating the result would fetch row by row.
    for staff_id, starts_at, blocked_until in (await session.execute(query, params)).all():
        busy[staff_id].append((starts_at, blocked_until))
    # A time the staff member's own calendar holds is as taken as a booking. Both sets are
    # sorted and non-overlapping on their own; together they are merged into one such list.
    calendar_rows = (await session.execute(_CALENDAR_BUSY, params)).all()
    if calendar_rows:
        own: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        for staff_id, starts_at, ends_at in calendar_rows:
            own[staff_id].append((starts_at, ends_at))
        for staff_id, spans in own.items():
            busy[staff_id] = merge(busy[staff_id] + spans)
    return [
        StaffSchedule(
            staff_id=member.id,
            name=member.name,
            weekly=member.weekly,
            overrides={day: sorted(ivs) for day, ivs in overrides[member.id].items()},
            busy=busy[member.id],
        )
        for member in staff
    ]


async def candidate_staff(
    session: AsyncSession, business_id: int, staff_id: int | None, service_id: int | None
) -> list[Candidate]:
    """The named staff member, else every active one who performs the service."""
    params = {"business_id": business_id, "staff_id": staff_id, "service_id": service_id}
    if staff_id is not None:
        rows = (await session.execute(_NAMED_MEMBER, params)).all()
        if not rows:
            raise NotFound("staff member", staff_id)
        member = rows[0]
        if not member.active:
            return []
        if service_id is not None and not member.performs:
            raise InvalidInput("staff_id", f"{member.name} does not perform that service")
    else:
        query = _ACTIVE_MEMBERS if service_id is None else _ACTIVE_PERFORMERS
        rows = (await session.execute(query, params)).all()
    names: dict[int, str] = {}  # in the query's order
    weekly: dict[int, dict[int, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        names[row.id] = row.name
        if row.weekday is not None:  # a staff member with no weekly hours has one empty row
            weekly[row.id][row.weekday].append((row.opens_at, row.closes_at))
    return [
        Candidate(member_id, name, {day: sorted(ivs) for day, ivs in weekly[member_id].items()})
        for member_id, name in names.items()
    ]


def validate_range(start_date: date, end_date: date | None) -> date:
    last = end_date or start_date
    if last < start_date:
        raise InvalidInput("end_date", "must not be before start_date")
    if (last - start_date).days >= MAX_RANGE_DAYS:
        raise InvalidInput("end_date", f"a search covers at most {MAX_RANGE_DAYS} days")
    return last


async def find_slots(
    db: Database,
    business_id: int,
    *,
    start_date: date,
    end_date: date | None = None,
    staff_id: int | None = None,
    service_id: int | None = None,
    duration_minutes: int | None = None,
    now: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
    exclude_appointment_id: int | None = None,
) -> list[Slot]:
    """Free start times over local dates [start_date, end_date], earliest first; with `after`
    (an instant and staff id) only those past it, and with `limit` at most that many. With
    `exclude_appointment_id`, that appointment's own time counts as free (where it may move)."""
    last = validate_range(start_date, end_date)
    now = now or datetime.now(UTC)
    async with db.read() as session:
        business = await read_business(session, business_id)
        need = await resolve_need(session, business_id, service_id, duration_minutes)
        members = await candidate_staff(session, business_id, staff_id, service_id)
        staff_days = len(members) * ((last - start_date).days + 1)
        if staff_days > MAX_STAFF_DAYS:
            raise InvalidInput(
                "end_date",
                f"this search covers {staff_days} staff-days ({len(members)} staff); at most "
                f"{MAX_STAFF_DAYS}: shorten the range or name a staff member or service",
            )
        schedules = await load_schedules(
            session, members, start_date, last, business, exclude_appointment_id
        )
    rules = rules_for(business, now, start_date, last)
    if staff_days <= INLINE_STAFF_DAYS:
        ordered: Iterable[FreeStart] = _free_starts(schedules, rules, start_date, last, need)
    else:
        ordered = await _page_by_day(schedules, rules, business.zone, start_date, last, need,
                                     after, limit)  # fmt: skip
    if after is not None:
        ordered = (s for s in ordered if (s.starts_at, s.staff_id) > after)
    zone = business.zone
    # Local times only for what is returned (a full search has tens of thousands of starts).
    return [
        Slot(*free, local_start=free.starts_at.astimezone(zone))  # a FreeStart is Slot's head
        for free in itertools.islice(ordered, limit)
    ]


async def _page_by_day(
    schedules: list[StaffSchedule],
    rules: Rules,
    zone: ZoneInfo,
    first: date,
    last: date,
    need: Need,
    after: tuple[datetime, int] | None,
    limit: int | None,
) -> list[FreeStart]:
    """A long search, a day at a time across all staff: it starts at the cursor's day, stops
    once the page is full (so a page costs what it shows, not what the range holds), and gives
    the event loop back after each staff member's day, so the calls' tools (which hop onto
    this loop) run in between. Not a thread: a thread holding the GIL would make each of a
    tool's many small hops wait its turn."""
    day = max(first, after[0].astimezone(zone).date()) if after is not None else first
    found: list[FreeStart] = []
    while day <= last and (limit is None or len(found) < limit):
        pieces = []
        for schedule in schedules:
            pieces.append(_free_starts([schedule], rules, day, day, need))
            await asyncio.sleep(0)
        merged = heapq.merge(*pieces, key=_EARLIEST_FIRST)
        found.extend(s for s in merged if after is None or (s.starts_at, s.staff_id) > after)
        day += timedelta(days=1)
    return found


def _free_starts(
    schedules: list[StaffSchedule], rules: Rules, first: date, last: date, need: Need
) -> list[FreeStart]:
    starts = [
        free
        for schedule in schedules
        for free in free_starts(schedule, rules, first, last, need.duration, need.buffer)
    ]
    starts.sort(key=_EARLIEST_FIRST)
    return starts


_EARLIEST_FIRST = itemgetter(2, 0)  # (starts_at, staff_id)

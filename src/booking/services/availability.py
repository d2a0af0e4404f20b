"""Free times: load schedules and bookings for a date range, then ask `schedule` for starts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import Appointment, AppointmentStatus, DateOverride, Service, Staff
from booking.services.businesses import BusinessInfo, load_business
from booking.services.localtime import day_bounds
from booking.services.schedule import Rules, StaffSchedule, free_starts
from booking.services.staff import load_staff

DEFAULT_DURATION_MINUTES = 30
MAX_RANGE_DAYS = 62
# No appointment blocks more than this (service duration and buffer are capped well below),
# so bookings that can touch a range start at most this long before it: keeps queries indexed.
# A new appointment's buffer can run past the range's end, so bookings starting up to this long
# after it are loaded too.
LONGEST_BLOCK = timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    """A free start time, with both the instant and the wall-clock reading a person hears."""

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


async def resolve_need(
    session: AsyncSession,
    business_id: int,
    service_id: int | None,
    duration_minutes: int | None,
) -> Need:
    if service_id is not None:
        service = await session.get(Service, service_id)
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


async def load_schedules(
    session: AsyncSession,
    staff: Sequence[Staff],
    first: date,
    last: date,
    zone_business: BusinessInfo,
    exclude_appointment_id: int | None = None,
) -> list[StaffSchedule]:
    """Schedules with overrides and booked ranges that can touch [first, last] (local days)."""
    ids = [s.id for s in staff]
    if not ids:
        return []
    range_start, range_end = day_bounds(first, last, zone_business.zone)
    overrides: dict[int, dict[date, list[tuple[time, time]]]] = defaultdict(dict)
    rows = await session.scalars(
        select(DateOverride).where(
            DateOverride.staff_id.in_(ids),
            DateOverride.on_date >= first,
            DateOverride.on_date <= last,
        )
    )
    for row in rows:
        day = overrides[row.staff_id].setdefault(row.on_date, [])
        if row.opens_at is not None and row.closes_at is not None:
            day.append((row.opens_at, row.closes_at))
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    query = (
        select(Appointment.staff_id, Appointment.starts_at, Appointment.blocked_until)
        .where(
            Appointment.staff_id.in_(ids),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= range_start - LONGEST_BLOCK,
            Appointment.starts_at < range_end + LONGEST_BLOCK,
            Appointment.blocked_until > range_start,
        )
        .order_by(Appointment.staff_id, Appointment.starts_at)
    )
    if exclude_appointment_id is not None:
        query = query.where(Appointment.id != exclude_appointment_id)
    for staff_id, starts_at, blocked_until in await session.execute(query):
        busy[staff_id].append((starts_at, blocked_until))
    schedules = []
    for member in staff:
        weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
        for hours in member.hours:
            weekly[hours.weekday].append((hours.opens_at, hours.closes_at))
        schedules.append(
            StaffSchedule(
                staff_id=member.id,
                name=member.name,
                weekly={day: sorted(ivs) for day, ivs in weekly.items()},
                overrides={day: sorted(ivs) for day, ivs in overrides[member.id].items()},
                busy=busy[member.id],
            )
        )
    return schedules


async def candidate_staff(
    session: AsyncSession, business_id: int, staff_id: int | None, service_id: int | None
) -> list[Staff]:
    """The named staff member, else every active one who performs the service."""
    if staff_id is not None:
        member = await load_staff(session, business_id, staff_id)
        if not member.active:
            return []
        if service_id is not None and service_id not in {s.id for s in member.services}:
            raise InvalidInput("staff_id", f"{member.name} does not perform that service")
        return [member]
    query = select(Staff).where(Staff.business_id == business_id, Staff.active.is_(True))
    members = list(await session.scalars(query.order_by(Staff.id)))
    if service_id is not None:
        members = [m for m in members if service_id in {s.id for s in m.services}]
    return members


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
) -> list[Slot]:
    """Free start times over local dates [start_date, end_date], earliest first."""
    last = validate_range(start_date, end_date)
    now = now or datetime.now(UTC)
    async with db.read() as session:
        business = BusinessInfo.of(await load_business(session, business_id))
        need = await resolve_need(session, business_id, service_id, duration_minutes)
        members = await candidate_staff(session, business_id, staff_id, service_id)
        schedules = await load_schedules(session, members, start_date, last, business)
    rules = rules_for(business, now, start_date, last)
    slots = [
        Slot(
            staff_id=free.staff_id,
            staff_name=free.staff_name,
            starts_at=free.starts_at,
            ends_at=free.ends_at,
            local_start=free.starts_at.astimezone(business.zone),
        )
        for schedule in schedules
        for free in free_starts(schedule, rules, start_date, last, need.duration, need.buffer)
    ]
    slots.sort(key=lambda slot: (slot.starts_at, slot.staff_id))
    return slots

"""The book as a timeline: for each local day, each active staff member's working hours (as
instants, so a daylight-saving day is 23 or 25 hours long), days off, closures, the times
their own calendars hold (which are not offered), and the appointments, on one axis per day.
Read only; the web page's Today and Week draw it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from booking.db import Database
from booking.models import AppointmentStatus, BusyInterval, CalendarConnection, Customer
from booking.services.appointment_queries import list_appointments
from booking.services.appointments import AppointmentInfo
from booking.services.availability import candidate_staff, load_schedules, rules_for
from booking.services.businesses import BusinessInfo, read_business
from booking.services.localtime import day_bounds, first_instant_at_or_after
from booking.services.pagination import MAX_PAGE_SIZE, PageRequest

Span = tuple[datetime, datetime]

# The axis shows at least these local hours, widened to whatever is worked or booked.
DAY_OPENS, DAY_CLOSES = 8, 18
MAX_DAYS = 14


@dataclass(frozen=True)
class Booked:
    """An appointment on the sheet, with its customer's name (None once erased)."""

    info: AppointmentInfo
    customer_name: str | None


@dataclass(frozen=True)
class Busy:
    """A time the staff member's own calendar holds, clipped to the day, and that calendar's
    name: the owner sees why a white stretch of their hours is not offered."""

    starts_at: datetime
    ends_at: datetime
    calendar: str


@dataclass(frozen=True)
class StaffDay:
    staff_id: int
    name: str
    working: list[Span]  # instants; empty on a day off, a closure or a day not worked
    day_off: bool  # an override with no hours
    appointments: list[Booked]  # booked, completed and no-show (not cancelled)
    busy: list[Busy] = field(default_factory=list)  # from their own calendars


@dataclass(frozen=True)
class DaySheet:
    day: date
    closed: str | None  # the closure's reason ("" when it gave none); None when open
    staff: list[StaffDay]
    starts: datetime  # the axis: a whole local hour ...
    ends: datetime  # ... to a whole local hour (or the day's end)

    @property
    def hours(self) -> list[datetime]:
        """Each hour mark as an instant: a 25-hour day shows its repeated hour twice, a
        23-hour day skips the missing one."""
        marks, mark = [], self.starts
        while mark < self.ends:
            marks.append(mark)
            mark += timedelta(hours=1)
        return marks

    def offset(self, instant: datetime) -> float:
        """Where an instant falls on the axis, 0 to 100 (percent), clipped to it."""
        whole = (self.ends - self.starts).total_seconds()
        part = (min(max(instant, self.starts), self.ends) - self.starts).total_seconds()
        return round(100 * part / whole, 3)

    def width(self, start: datetime, end: datetime) -> float:
        return round(self.offset(end) - self.offset(start), 3)


def _axis(day: date, business: BusinessInfo, instants: list[datetime]) -> Span:
    zone = business.zone
    start = first_instant_at_or_after(day, time(DAY_OPENS), zone)
    end = first_instant_at_or_after(day, time(DAY_CLOSES), zone)
    day_start, day_end = day_bounds(day, day, zone)
    inside = [min(max(i, day_start), day_end) for i in instants]
    if inside:
        earliest, latest = min(min(inside), start), max(max(inside), end)
        start = first_instant_at_or_after(day, time(earliest.astimezone(zone).hour), zone)
        local_end = latest.astimezone(zone)
        hour = local_end.hour + (1 if (local_end.minute or local_end.second) else 0)
        if latest >= day_end or hour >= 24:
            end = day_end
        else:
            end = first_instant_at_or_after(day, time(hour), zone)
    return start, end


async def _customer_names(db: Database, business_id: int, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    async with db.read() as session:
        rows = await session.execute(
            select(Customer.id, Customer.name).where(
                Customer.business_id == business_id, Customer.id.in_(wanted)
            )
        )
        return {customer_id: name for customer_id, name in rows.all()}


async def _all_appointments(
    db: Database, business_id: int, first: date, last: date
) -> list[AppointmentInfo]:
    found: list[AppointmentInfo] = []
    page = 1
    while True:
        batch = await list_appointments(
            db, business_id, start_date=first, end_date=last, page=PageRequest(page, MAX_PAGE_SIZE)
        )
        found += batch.items
        if len(found) >= batch.total or not batch.items:
            return found
        page += 1


async def _calendar_busy(
    db: Database, staff_ids: list[int], starts: datetime, ends: datetime
) -> dict[int, list[Busy]]:
    """The staff's own-calendar busy times that touch [starts, ends), by staff member."""
    found: dict[int, list[Busy]] = defaultdict(list)
    if not staff_ids:
        return found
    async with db.read() as session:
        rows = await session.execute(
            select(
                BusyInterval.staff_id, BusyInterval.starts_at, BusyInterval.ends_at,
                CalendarConnection.name, CalendarConnection.kind,
            )
            .join(CalendarConnection, CalendarConnection.id == BusyInterval.connection_id)
            .where(
                BusyInterval.staff_id.in_(staff_ids),
                BusyInterval.starts_at < ends,
                BusyInterval.ends_at > starts,
            )
            .order_by(BusyInterval.starts_at)
        )  # fmt: skip
        for staff_id, starts_at, ends_at, name, kind in rows.all():
            found[staff_id].append(Busy(starts_at, ends_at, name or str(kind).upper()))
    return found


def _on_day(busy: list[Busy], day_start: datetime, day_end: datetime) -> list[Busy]:
    return [
        Busy(max(b.starts_at, day_start), min(b.ends_at, day_end), b.calendar)
        for b in busy
        if b.starts_at < day_end and b.ends_at > day_start
    ]


async def day_sheets(
    db: Database, business_id: int, first: date, last: date, now: datetime
) -> tuple[BusinessInfo, list[DaySheet]]:
    """The business and one sheet per local day in [first, last] (at most MAX_DAYS)."""
    if (last - first).days >= MAX_DAYS:
        last = first + timedelta(days=MAX_DAYS - 1)
    async with db.read() as session:
        business = await read_business(session, business_id)
        members = await candidate_staff(session, business_id, None, None)
        schedules = await load_schedules(session, members, first, last, business)
    shown = [
        a
        for a in await _all_appointments(db, business_id, first, last)
        if a.status != AppointmentStatus.CANCELLED
    ]
    customers = await _customer_names(db, business_id, {a.customer_id for a in shown})
    range_start, range_end = day_bounds(first, last, business.zone)
    own = await _calendar_busy(db, [s.staff_id for s in schedules], range_start, range_end)
    by_day: dict[tuple[date, int], list[Booked]] = defaultdict(list)
    names: dict[int, str] = {}
    for appointment in shown:
        name = customers.get(appointment.customer_id) if appointment.customer_id else None
        by_day[(appointment.local_date, appointment.staff_id)].append(Booked(appointment, name))
        names[appointment.staff_id] = appointment.staff_name
    rules = rules_for(business, now, first, last)
    sheets: list[DaySheet] = []
    day = first
    while day <= last:
        closure = next((why for a, b, why in business.closures if a <= day <= b), None)
        day_start, day_end = day_bounds(day, day, business.zone)
        rows = [
            StaffDay(
                staff_id=s.staff_id,
                name=s.name,
                working=s.working_spans(day, rules),
                day_off=day in s.overrides and not s.overrides[day],
                appointments=by_day.pop((day, s.staff_id), []),
                busy=_on_day(own.get(s.staff_id, []), day_start, day_end),
            )
            for s in schedules
        ]
        # Appointments of staff no longer active still show, on a row of their own.
        for (on, staff_id), kept in list(by_day.items()):
            if on == day:
                rows.append(StaffDay(staff_id, names[staff_id], [], False, kept))
                del by_day[(on, staff_id)]
        instants = [i for r in rows for span in r.working for i in span]
        instants += [
            i for r in rows for a in r.appointments for i in (a.info.starts_at, a.info.ends_at)
        ]
        starts, ends = _axis(day, business, instants)
        sheets.append(DaySheet(day, closure, rows, starts, ends))
        day += timedelta(days=1)
    return business, sheets

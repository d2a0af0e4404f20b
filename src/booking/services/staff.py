"""Staff members and their schedules: weekly hours, date overrides, services performed. The
services themselves are the catalogue's (`catalogue`); their names are re-exported here."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import FieldChecks, InvalidInput, NotFound
from booking.models import DateOverride, Service, Staff, WeeklyHours
from booking.services.businesses import load_business
from booking.services.catalogue import (
    ServiceInfo,
    check_price,
    create_service,
    get_service,
    list_services,
    update_service,
)
from booking.services.stranding import OnStranded, settle_stranded

Interval = tuple[time, time]


@dataclass(frozen=True)
class StaffInfo:
    id: int
    business_id: int
    name: str
    active: bool
    service_ids: tuple[int, ...]
    weekly_hours: dict[int, tuple[Interval, ...]]

    @classmethod
    def of(cls, staff: Staff) -> StaffInfo:
        hours: dict[int, list[Interval]] = {}
        for row in staff.hours:
            hours.setdefault(row.weekday, []).append((row.opens_at, row.closes_at))
        return cls(
            id=staff.id,
            business_id=staff.business_id,
            name=staff.name,
            active=staff.active,
            service_ids=tuple(sorted(s.id for s in staff.services)),
            weekly_hours={day: tuple(sorted(ivs)) for day, ivs in sorted(hours.items())},
        )


def validate_intervals(intervals: Iterable[Interval], field: str) -> list[Interval]:
    """Sorted intervals, each ending after it starts, none overlapping another."""
    ordered = sorted(intervals)
    for opens, closes in ordered:
        if closes <= opens:
            raise InvalidInput(field, f"{closes:%H:%M} is not after {opens:%H:%M}")
    for (_, first_close), (second_open, _) in itertools.pairwise(ordered):
        if second_open < first_close:
            raise InvalidInput(field, "intervals overlap")
    return ordered


async def load_staff(session: AsyncSession, business_id: int, staff_id: int) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.business_id != business_id:
        raise NotFound("staff member", staff_id)
    return staff


async def get_staff(db: Database, business_id: int, staff_id: int) -> StaffInfo:
    async with db.read() as session:
        return StaffInfo.of(await load_staff(session, business_id, staff_id))


async def list_staff(
    db: Database, business_id: int, *, active_only: bool = False
) -> list[StaffInfo]:
    async with db.read() as session:
        query = select(Staff).where(Staff.business_id == business_id).order_by(Staff.id)
        if active_only:
            query = query.where(Staff.active.is_(True))
        return [StaffInfo.of(s) for s in await session.scalars(query)]


async def create_staff(
    db: Database,
    business_id: int,
    name: str,
    *,
    weekly_hours: Mapping[int, Sequence[Interval]] | None = None,
    service_ids: Sequence[int] = (),
) -> StaffInfo:
    checks = FieldChecks()  # the name and every day of the hours, named together
    if not name.strip():
        checks.refuse("name", "must not be empty")
    with checks.field():
        checked_hours(weekly_hours or {})
    checks.raise_any()
    async with db.write() as session:
        await load_business(session, business_id)
        staff = Staff(
            business_id=business_id,
            name=name.strip(),
            active=True,
            calendar_key=secrets.token_urlsafe(24),
            hours=[],
            services=[],
        )
        session.add(staff)
        await session.flush()
        await _replace_hours(session, staff, weekly_hours or {})
        staff.services = await _load_services(session, business_id, service_ids)
        await session.flush()
        await session.refresh(staff, ["hours", "services"])
        return StaffInfo.of(staff)


async def _load_services(
    session: AsyncSession, business_id: int, service_ids: Sequence[int]
) -> list[Service]:
    services = []
    for service_id in dict.fromkeys(service_ids):  # a service named twice is performed once
        service = await session.get(Service, service_id)
        if service is None or service.business_id != business_id:
            raise NotFound("service", service_id)
        services.append(service)
    return services


def checked_hours(weekly_hours: Mapping[int, Sequence[Interval]]) -> dict[int, list[Interval]]:
    """Each weekday's intervals sorted and checked; every bad day is named in one error."""
    checks = FieldChecks()
    checked: dict[int, list[Interval]] = {}
    for weekday, intervals in sorted(weekly_hours.items()):
        with checks.field():
            if not 0 <= weekday <= 6:
                raise InvalidInput("weekday", "must be 0 (Monday) to 6 (Sunday)")
            checked[weekday] = validate_intervals(intervals, f"hours.{weekday}")
    checks.raise_any()
    return checked


async def _replace_hours(
    session: AsyncSession, staff: Staff, weekly_hours: Mapping[int, Sequence[Interval]]
) -> None:
    checked = checked_hours(weekly_hours)
    await session.execute(delete(WeeklyHours).where(WeeklyHours.staff_id == staff.id))
    for weekday, intervals in checked.items():
        for opens, closes in intervals:
            session.add(
                WeeklyHours(staff_id=staff.id, weekday=weekday, opens_at=opens, closes_at=closes)
            )


async def set_weekly_hours(
    db: Database,
    business_id: int,
    staff_id: int,
    weekly_hours: Mapping[int, Sequence[Interval]],
    *,
    on_affected: OnStranded = OnStranded.REFUSE,
    now: datetime | None = None,
) -> StaffInfo:
    """Replace a staff member's weekly hours as a whole (weekday 0 = Monday)."""
    async with db.write() as session:
        staff = await load_staff(session, business_id, staff_id)
        await _replace_hours(session, staff, weekly_hours)
        await session.flush()
        await settle_stranded(
            session, business_id, on_affected, now=now, reason="working hours changed",
            staff_ids=[staff_id],
        )  # fmt: skip
        await session.refresh(staff, ["hours"])
        return StaffInfo.of(staff)


async def set_services(
    db: Database,
    business_id: int,
    staff_id: int,
    service_ids: Sequence[int],
    *,
    on_affected: OnStranded = OnStranded.REFUSE,
    now: datetime | None = None,
) -> StaffInfo:
    async with db.write() as session:
        staff = await load_staff(session, business_id, staff_id)
        staff.services = await _load_services(session, business_id, service_ids)
        await session.flush()
        await settle_stranded(
            session, business_id, on_affected, now=now, reason="service no longer offered by them",
            staff_ids=[staff_id],
        )  # fmt: skip
        return StaffInfo.of(staff)


async def add_override(
    db: Database,
    business_id: int,
    staff_id: int,
    on_date: date,
    intervals: Sequence[Interval] = (),
    reason: str = "",
    *,
    on_affected: OnStranded = OnStranded.REFUSE,
    now: datetime | None = None,
) -> None:
    """Replace one date's hours: no intervals means a day off."""
    ordered = validate_intervals(intervals, "intervals")
    async with db.write() as session:
        await load_staff(session, business_id, staff_id)
        await session.execute(
            delete(DateOverride).where(
                DateOverride.staff_id == staff_id, DateOverride.on_date == on_date
            )
        )
        if not ordered:
            session.add(DateOverride(staff_id=staff_id, on_date=on_date, reason=reason))
        for opens, closes in ordered:
            session.add(
                DateOverride(
                    staff_id=staff_id,
                    on_date=on_date,
                    opens_at=opens,
                    closes_at=closes,
                    reason=reason,
                )
            )
        await session.flush()
        await settle_stranded(
            session, business_id, on_affected, now=now,
            reason=reason or ("day off" if not ordered else "hours changed that day"),
            staff_ids=[staff_id],
        )  # fmt: skip


async def update_staff(
    db: Database,
    business_id: int,
    staff_id: int,
    *,
    name: str | None = None,
    active: bool | None = None,
    service_ids: Sequence[int] | None = None,
    on_affected: OnStranded = OnStranded.REFUSE,
    now: datetime | None = None,
) -> StaffInfo:
    """Rename, (de)activate or change services. An inactive member keeps their history and
    appointments but is offered for no new bookings."""
    async with db.write() as session:
        staff = await load_staff(session, business_id, staff_id)
        if name is not None:
            if not name.strip():
                raise InvalidInput("name", "must not be empty")
            staff.name = name.strip()
        if active is not None:
            staff.active = active
        if service_ids is not None:
            staff.services = await _load_services(session, business_id, service_ids)
        await session.flush()
        if active is False or service_ids is not None:
            await settle_stranded(
                session, business_id, on_affected, now=now,
                reason="staff member no longer available" if active is False
                else "service no longer offered by them",
                staff_ids=[staff_id],
            )  # fmt: skip
        return StaffInfo.of(staff)


@dataclass(frozen=True)
class OverrideInfo:
    on_date: date
    intervals: tuple[Interval, ...]  # empty: day off
    reason: str


async def list_overrides(
    db: Database, business_id: int, staff_id: int, first: date | None = None
) -> list[OverrideInfo]:
    async with db.read() as session:
        await load_staff(session, business_id, staff_id)
        query = select(DateOverride).where(DateOverride.staff_id == staff_id)
        if first is not None:
            query = query.where(DateOverride.on_date >= first)
        by_day: dict[date, list[DateOverride]] = {}
        for row in await session.scalars(
            query.order_by(DateOverride.on_date, DateOverride.opens_at)
        ):
            by_day.setdefault(row.on_date, []).append(row)
        return [
            OverrideInfo(
                day,
                tuple((r.opens_at, r.closes_at) for r in rows if r.opens_at and r.closes_at),
                rows[0].reason,
            )
            for day, rows in by_day.items()
        ]


async def delete_override(db: Database, business_id: int, staff_id: int, on_date: date) -> None:
    async with db.write() as session:
        await load_staff(session, business_id, staff_id)
        result = await session.execute(
            delete(DateOverride).where(
                DateOverride.staff_id == staff_id, DateOverride.on_date == on_date
            )
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound("override", on_date.isoformat())


async def rotate_calendar_key(db: Database, business_id: int, staff_id: int) -> str:
    """A new secret for the staff member's calendar feed; the old feed URL stops working."""
    async with db.write() as session:
        staff = await load_staff(session, business_id, staff_id)
        staff.calendar_key = secrets.token_urlsafe(24)
        return staff.calendar_key


async def calendar_key_of(db: Database, business_id: int, staff_id: int) -> str:
    async with db.read() as session:
        staff = await load_staff(session, business_id, staff_id)
        return staff.calendar_key or ""


__all__ = [
    "Interval",
    "OverrideInfo",
    "ServiceInfo",
    "StaffInfo",
    "add_override",
    "calendar_key_of",
    "check_price",
    "create_service",
    "create_staff",
    "delete_override",
    "get_service",
    "get_staff",
    "list_overrides",
    "list_services",
    "list_staff",
    "load_staff",
    "rotate_calendar_key",
    "set_services",
    "set_weekly_hours",
    "update_service",
    "update_staff",
    "validate_intervals",
]

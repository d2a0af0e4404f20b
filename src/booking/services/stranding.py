"""Schedule changes never strand a booking silently.

A closure, a day off, new weekly hours, a deactivated staff member, a service taken from them
or a new time zone can leave future booked appointments where the schedule no longer has
them. Every such change calls `settle_stranded` inside its own transaction, after the change is
flushed and before the commit, so a booking made concurrently is seen. Unless the request says
what to do, the change is refused (`WouldStrand`, 409 listing the appointments); with
`cancel` they are cancelled (each with an `appointment.cancelled` webhook giving the reason),
with `keep` they stay booked and are flagged `outside_hours`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from booking.errors import Conflict
from booking.models import Appointment, AppointmentStatus, Customer, DateOverride, Staff
from booking.services.availability import rules_for
from booking.services.businesses import BusinessInfo, read_business
from booking.services.schedule import Rules, StaffSchedule, fits_working_hours
from booking.services.schedule_lock import hold_schedule


class OnStranded(enum.StrEnum):
    """What a schedule change does with the future appointments it would leave stranded."""

    REFUSE = "refuse"
    CANCEL = "cancel"
    KEEP = "keep"


@dataclass(frozen=True)
class StrandedAppointment:
    id: int
    customer_first_name: str | None
    local_date: date
    local_time: str
    staff_id: int
    staff_name: str
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_first_name": self.customer_first_name,
            "appointment_date": self.local_date.isoformat(),
            "appointment_time": self.local_time,
            "staff_id": self.staff_id,
            "staff_name": self.staff_name,
            "why": self.why,
        }


class WouldStrand(Conflict):
    """The change would leave future appointments outside the schedule; nothing was changed."""

    code = "would_strand_appointments"

    def __init__(self, affected: list[StrandedAppointment]) -> None:
        super().__init__(
            f"{len(affected)} future appointment(s) would fall outside the new schedule; "
            "repeat the request with on_affected=cancel (customers are told) or "
            "on_affected=keep (they stay booked, flagged outside hours)"
        )
        self.affected = affected


async def settle_stranded(
    session: AsyncSession,
    business_id: int,
    on_affected: OnStranded,
    *,
    reason: str,
    now: datetime | None = None,
    staff_ids: list[int] | None = None,
) -> list[StrandedAppointment]:
    """Find what the flushed change strands and deal with it as asked (see the module)."""
    now = now or datetime.now(UTC)
    await hold_schedule(session, business_id, changing=True)
    affected = await stranded(session, business_id, now, staff_ids)
    if not affected:
        return []
    if on_affected == OnStranded.REFUSE:
        raise WouldStrand(affected)
    rows = await session.scalars(
        select(Appointment).where(Appointment.id.in_([a.id for a in affected]))
    )
    if on_affected == OnStranded.KEEP:
        for appointment in rows:
            appointment.outside_hours = True
        return affected
    from booking.services.appointments import announce_cancelled  # cancels share one shape

    for appointment in rows:
        appointment.status = AppointmentStatus.CANCELLED
        await session.flush()
        await announce_cancelled(session, appointment, now, reason=reason)
    return affected


async def stranded(
    session: AsyncSession, business_id: int, now: datetime, staff_ids: list[int] | None = None
) -> list[StrandedAppointment]:
    """Future booked appointments the schedule, as it stands in this session, does not have:
    with an inactive staff member, a service they no longer perform, or a time outside every
    working interval of its local day (weekly hours, overrides, closures, the time zone)."""
    business = await read_business(session, business_id)
    query = (
        select(Appointment, Customer.name)
        .outerjoin(Customer, Customer.id == Appointment.customer_id)
        .where(
            Appointment.business_id == business_id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= now,
            Appointment.outside_hours.is_(False),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if staff_ids is not None:
        query = query.where(Appointment.staff_id.in_(staff_ids))
    found = (await session.execute(query)).all()
    if not found:
        return []
    members = await _staff_of(session, {a.staff_id for a, _ in found})
    days = [a.starts_at.astimezone(business.zone).date() for a, _ in found]
    schedules = await _schedules(session, members, min(days), max(days))
    rules = _rules(business, min(days), max(days))
    result = []
    for appointment, customer_name in found:
        member = members[appointment.staff_id]
        why = _why_stranded(appointment, member, schedules[member.id], rules)
        if why is None:
            continue
        local = appointment.starts_at.astimezone(business.zone)
        result.append(
            StrandedAppointment(
                id=appointment.id,
                customer_first_name=(customer_name or "").split(" ")[0] or None,
                local_date=local.date(),
                local_time=local.strftime("%H:%M"),
                staff_id=member.id,
                staff_name=member.name,
                why=why,
            )
        )
    return result


def _why_stranded(
    appointment: Appointment, member: Staff, schedule: StaffSchedule, rules: Rules
) -> str | None:
    if not member.active:
        return f"{member.name} no longer takes bookings"
    if appointment.service_id is not None and appointment.service_id not in {
        s.id for s in member.services
    }:
        return f"{member.name} no longer performs its service"
    if not fits_working_hours(schedule, rules, appointment.starts_at, appointment.ends_at):
        return f"outside {member.name}'s hours that day"
    return None


async def _staff_of(session: AsyncSession, ids: set[int]) -> dict[int, Staff]:
    rows = await session.scalars(
        select(Staff)
        .where(Staff.id.in_(ids))
        .options(selectinload(Staff.hours), selectinload(Staff.services))
        .execution_options(populate_existing=True)  # the change being settled is in the session
    )
    return {member.id: member for member in rows}


async def _schedules(
    session: AsyncSession, members: dict[int, Staff], first: date, last: date
) -> dict[int, StaffSchedule]:
    overrides: dict[int, dict[date, list[tuple[Any, Any]]]] = {m: {} for m in members}
    rows = await session.scalars(
        select(DateOverride).where(
            DateOverride.staff_id.in_(list(members)),
            DateOverride.on_date >= first,
            DateOverride.on_date <= last,
        )
    )
    for row in rows:
        day = overrides[row.staff_id].setdefault(row.on_date, [])
        if row.opens_at is not None and row.closes_at is not None:
            day.append((row.opens_at, row.closes_at))
    schedules = {}
    for member in members.values():
        weekly: dict[int, list[tuple[Any, Any]]] = {}
        for hours in member.hours:
            weekly.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
        schedules[member.id] = StaffSchedule(
            staff_id=member.id,
            name=member.name,
            weekly={day: sorted(ivs) for day, ivs in weekly.items()},
            overrides={day: sorted(ivs) for day, ivs in overrides[member.id].items()},
        )
    return schedules


def _rules(business: BusinessInfo, first: date, last: date) -> Rules:
    # Only working hours and closures matter here; notice and horizon do not strand a booking.
    return replace(
        rules_for(business, datetime.now(UTC), first, last),
        earliest=datetime.min.replace(tzinfo=UTC),
        latest=datetime.max.replace(tzinfo=UTC),
    )

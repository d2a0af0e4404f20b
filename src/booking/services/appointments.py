"""Appointments: book, move (one transaction), cancel (cut-off respected). What an appointment
looks like and reading it (`appointment_info`), what a change sends (`appointment_announce`)
and the status machine (`appointment_status`) live beside it; their names are re-exported here.

The Python checks here give a precise error; the database constraint is the guarantee
(`integrity.is_overlap`), so a race lost at commit time is still a clean `SlotUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking import metrics
from booking.db import Database
from booking.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    OutsideHours,
    SlotUnavailable,
    StaleIdempotencyKey,
    TooLateToCancel,
)
from booking.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    Call,
)
from booking.services import calendar_writes, idempotency
from booking.services.appointment_announce import (
    announce,
    announce_cancelled,
    announce_moved,
)
from booking.services.appointment_info import (
    AppointmentInfo,
    describe,
    get_appointment,
    list_upcoming,
    load,
)
from booking.services.appointment_status import check_transition, set_status
from booking.services.availability import (
    Candidate,
    Need,
    candidate_staff,
    load_schedules,
    resolve_need,
    rules_for,
)
from booking.services.businesses import BusinessInfo, read_business
from booking.services.customers import read_customer
from booking.services.integrity import is_overlap, is_unique_on
from booking.services.line_caps import check_caps
from booking.services.localtime import require_instant
from booking.services.schedule import Rules, StaffSchedule, fits_working_hours
from booking.services.schedule_lock import hold_schedule
from booking.services.write_retry import retry_when_aborted

MAX_NOTES = 1000  # the column's length: longer text is a raw DataError on PostgreSQL


@dataclass(frozen=True)
class BookingRequest:
    """A request to book, in the caller's terms: a local date and wall-clock time."""

    business_id: int
    customer_id: int
    local_date: date
    local_time: time
    staff_id: int | None = None
    service_id: int | None = None
    duration_minutes: int | None = None
    source: AppointmentSource = AppointmentSource.API
    call_id: int | None = None
    notes: str = ""

    def fingerprint(self) -> str:
        fields = dict(vars(self))  # every field is a plain value: no need for asdict's deep copy
        fields.pop("call_id")
        return idempotency.fingerprint(fields)


def _check_window(start: datetime, rules: Rules, now: datetime) -> None:
    if start < now:
        raise InvalidInput("appointment_time", "that time has already passed")
    if start < rules.earliest:
        minutes = int((rules.earliest - now).total_seconds() // 60)
        raise InvalidInput("appointment_time", f"bookings need at least {minutes} minutes' notice")
    if start > rules.latest:
        raise InvalidInput(
            "appointment_date",
            f"bookings are taken at most {round((rules.latest - now) / timedelta(days=1))} days "
            f"ahead; the last bookable day is {rules.latest.astimezone(rules.zone).date()}",
        )


# pg_advisory_xact_lock(space, staff_id): the lock space of "booking for this staff member".
_STAFF_LOCK_SPACE = 0x600C


async def _serialise_staff(session: AsyncSession, staff_ids: list[int]) -> None:
    """On PostgreSQL, bookings for one staff member take turns (locks in id order, held to the
    end of the transaction), so the free-time check sees every earlier booking.

    Without it, concurrent overlapping inserts wait for each other inside the exclusion
    constraint and deadlock (about one request in ten under a burst of 30). SQLite needs
    nothing: BEGIN IMMEDIATE already makes writers take turns. The constraint stays the guarantee.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for staff_id in sorted(set(staff_ids)):
        await session.execute(select(func.pg_advisory_xact_lock(_STAFF_LOCK_SPACE, staff_id)))


async def _place(
    session: AsyncSession,
    business: BusinessInfo,
    members: list[Candidate],
    day: date,
    at: time,
    need: Need,
    now: datetime,
    exclude_appointment_id: int | None = None,
) -> tuple[Candidate, datetime, datetime]:
    """Pick the first candidate staff member whose hours hold the time and who is free."""
    start = require_instant(day, at, business.zone)
    end = start + need.duration
    rules = rules_for(business, now, day, day)
    _check_window(start, rules, now)
    if day in rules.closed_days:
        raise OutsideHours(f"the business is closed on {day.isoformat()}")
    await _serialise_staff(session, [m.id for m in members])
    schedules: list[StaffSchedule] = await load_schedules(
        session, members, day, day + timedelta(days=1), business, exclude_appointment_id
    )
    working = [
        (m, s)
        for m, s in zip(members, schedules, strict=True)
        if fits_working_hours(s, rules, start, end)
    ]
    if not working:
        raise OutsideHours()
    for member, schedule in working:
        if schedule.is_free(start, end + need.buffer):
            return member, start, end
    raise SlotUnavailable()


# Built once: every booking runs them (building a statement costs more than running it).
_appointments = cast(Table, Appointment.__table__)
# Its id comes back by RETURNING where the database has it, else by lastrowid (SQLite < 3.35).
_INSERT = insert(_appointments)
_CALL_BUSINESS = select(Call.__table__.c.business_id).where(
    Call.__table__.c.id == bindparam("call_id")
)


def _new_id(inserted: Result[Any]) -> int:
    """The id an INSERT of one row made (by RETURNING or lastrowid, as the database offers)."""
    key = cast(CursorResult[Any], inserted).inserted_primary_key
    if key is None:  # only for statements that are not single-row INSERTs
        raise TypeError("not the result of a single-row INSERT")
    return int(key[0])


async def _replay(
    db: Database, business_id: int, key: str, request: BookingRequest, request_fingerprint: str
) -> AppointmentInfo:
    async with db.read() as session:
        record = await idempotency.find(session, business_id, key)
        if record is None:
            raise Conflict("a request with this key is still being processed; retry shortly")
        resource_id = idempotency.replayable(record, request_fingerprint)
        if resource_id is None:
            raise Conflict("a request with this key is still being processed; retry shortly")
        business = await read_business(session, business_id)
        appointment = await load(session, business_id, resource_id)
        return await _still_as_booked(session, appointment, business.zone, request)


async def _still_as_booked(
    session: AsyncSession, appointment: Appointment, zone: ZoneInfo, request: BookingRequest
) -> AppointmentInfo:
    """A repeat's answer, only while the appointment still stands as first answered."""
    info = await describe(session, appointment, zone)
    if (
        info.status != AppointmentStatus.BOOKED
        or info.local_date != request.local_date
        or info.local_time != request.local_time
    ):
        raise StaleIdempotencyKey(appointment.id)
    return info


def check_notes(request: BookingRequest) -> None:
    """Refuse notes longer than the column (else a raw DataError on PostgreSQL)."""
    if len(request.notes) > MAX_NOTES:
        raise InvalidInput("notes", f"must be at most {MAX_NOTES} characters")


@retry_when_aborted
async def book(
    db: Database,
    request: BookingRequest,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> AppointmentInfo:
    """Book a local date and time; with a key, a repeat of the same request books once."""
    now = now or datetime.now(UTC)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    check_notes(request)
    try:
        async with db.write() as session:
            booked, fresh = await book_in(session, request, key=key, now=now)
        if fresh:
            metrics.BOOKINGS.labels(source=request.source.value).inc()
        return booked
    except SlotUnavailable:
        metrics.REFUSALS.labels(source=request.source.value, reason="slot_unavailable").inc()
        raise
    except IntegrityError as exc:
        if is_overlap(exc):
            metrics.REFUSALS.labels(source=request.source.value, reason="slot_unavailable").inc()
            raise SlotUnavailable() from None
        if key is not None and is_unique_on(exc, "idempotency_records"):
            return await _replay(db, request.business_id, key, request, request.fingerprint())
        raise


async def book_in(
    session: AsyncSession, request: BookingRequest, *, key: str | None, now: datetime
) -> tuple[AppointmentInfo, bool]:
    """`book` inside a write transaction the caller owns, so another write can share it: the
    appointment, and whether it is new (False: the key's first booking, answered again). An
    overlap the database catches surfaces as IntegrityError, for the caller to turn into
    SlotUnavailable."""
    request_fingerprint = request.fingerprint()
    await hold_schedule(session, request.business_id, changing=False)
    # Before the key's record is claimed: it names the customer (else a raw FK error).
    customer = await read_customer(session, request.business_id, request.customer_id)
    if customer is None:
        raise NotFound("customer", request.customer_id)
    if key is not None:
        existing = await idempotency.find(session, request.business_id, key)
        if existing is not None:
            resource_id = idempotency.replayable(existing, request_fingerprint)
            if resource_id is not None:
                appointment = await load(session, request.business_id, resource_id)
                owner = await read_business(session, request.business_id)
                replayed = await _still_as_booked(session, appointment, owner.zone, request)
                return replayed, False
        await idempotency.claim(
            session, request.business_id, key, request_fingerprint, request.customer_id
        )
    business = await read_business(session, request.business_id)
    if request.call_id is not None:
        call_business = await session.scalar(_CALL_BUSINESS, {"call_id": request.call_id})
        if call_business != request.business_id:
            raise NotFound("call", request.call_id)  # else a raw foreign key error
    await check_caps(session, business, request.customer_id, request.call_id, request.source, now)
    need = await resolve_need(
        session, request.business_id, request.service_id, request.duration_minutes
    )
    members = await candidate_staff(
        session, request.business_id, request.staff_id, request.service_id
    )
    if not members:
        raise InvalidInput("staff_id", "that staff member is not taking bookings")
    member, start, end = await _place(
        session, business, members, request.local_date, request.local_time, need, now
    )
    inserted = await session.execute(
        _INSERT,
        {
            "business_id": request.business_id,
            "staff_id": member.id,
            "customer_id": request.customer_id,
            "service_id": need.service_id,
            "call_id": request.call_id,
            "starts_at": start,
            "ends_at": end,
            "blocked_until": end + need.buffer,
            "status": AppointmentStatus.BOOKED,
            "source": request.source,
            "notes": request.notes,
        },
    )
    appointment_id = _new_id(inserted)
    if key is not None:
        await idempotency.settle(session, request.business_id, key, appointment_id)
    booked = AppointmentInfo(
        id=appointment_id,
        business_id=request.business_id,
        staff_id=member.id,
        staff_name=member.name,
        customer_id=request.customer_id,
        service_id=need.service_id,
        service_name=need.service_name,
        starts_at=start,
        ends_at=end,
        local_start=start.astimezone(business.zone),
        status=AppointmentStatus.BOOKED,
        source=request.source,
        call_id=request.call_id,
        notes=request.notes,
    )
    await announce(session, "appointment.booked", booked, now, customer)
    return booked, True


@retry_when_aborted
async def move(
    db: Database,
    business_id: int,
    appointment_id: int,
    *,
    local_date: date,
    local_time: time,
    staff_id: int | None = None,
    customer_id: int | None = None,
    enforce_cutoff: bool = False,
    now: datetime | None = None,
) -> AppointmentInfo:
    """Move a booked appointment in one transaction: it is never lost nor doubled."""
    now = now or datetime.now(UTC)
    try:
        async with db.write() as session:
            await hold_schedule(session, business_id, changing=False)
            business = await read_business(session, business_id)
            appointment = await load(
                session, business_id, appointment_id, customer_id, for_update=True
            )
            if appointment.status != AppointmentStatus.BOOKED:
                raise Conflict(
                    "only a booked appointment can be moved; "
                    f"this one is {appointment.status.value}"
                )
            if enforce_cutoff:
                _check_cutoff(business, appointment, now, "moved")
            members = await candidate_staff(
                session, business_id, staff_id or appointment.staff_id, appointment.service_id
            )
            if not members:
                raise InvalidInput("staff_id", "that staff member is not taking bookings")
            need = Need(
                duration=appointment.ends_at - appointment.starts_at,
                buffer=appointment.blocked_until - appointment.ends_at,
                service_id=appointment.service_id,
            )
            member, start, end = await _place(
                session,
                business,
                members,
                local_date,
                local_time,
                need,
                now,
                exclude_appointment_id=appointment.id,
            )
            moved_from = appointment.staff_id
            appointment.staff_id = member.id
            appointment.outside_hours = False  # moved into the schedule as it now stands
            appointment.starts_at = start
            appointment.ends_at = end
            appointment.blocked_until = end + need.buffer
            await session.flush()
            moved = await describe(session, appointment, business.zone)
            await announce(session, "appointment.moved", moved, now)
            if moved_from != member.id:  # out of the previous staff member's calendars too
                await calendar_writes.enqueue(
                    session, business_id, appointment.id, [moved_from], "appointment.moved", now
                )
            return moved
    except IntegrityError as exc:
        if is_overlap(exc):
            raise SlotUnavailable() from None
        raise


def _check_cutoff(
    business: BusinessInfo, appointment: Appointment, now: datetime, verb: str
) -> None:
    cutoff = appointment.starts_at - timedelta(minutes=business.cancellation_cutoff_minutes)
    if now > cutoff:
        hours = business.cancellation_cutoff_minutes / 60
        amount = f"{hours:g} hours" if hours != 1 else "1 hour"
        raise TooLateToCancel(
            f"appointments can only be {verb} up to {amount} before they start; "
            "please call the business"
        )


async def cancel(
    db: Database,
    business_id: int,
    appointment_id: int,
    *,
    customer_id: int | None = None,
    enforce_cutoff: bool = False,
    now: datetime | None = None,
) -> AppointmentInfo:
    """Cancel a booked appointment; callers (enforce_cutoff) must respect the cut-off."""
    now = now or datetime.now(UTC)
    async with db.write() as session:
        business = await read_business(session, business_id)
        appointment = await load(session, business_id, appointment_id, customer_id, for_update=True)
        if appointment.status != AppointmentStatus.BOOKED:
            raise Conflict(f"this appointment is already {appointment.status.value}")
        if enforce_cutoff:
            if appointment.starts_at <= now:
                raise TooLateToCancel("this appointment has already started")
            _check_cutoff(business, appointment, now, "cancelled")
        appointment.status = AppointmentStatus.CANCELLED
        await session.flush()
        cancelled = await describe(session, appointment, business.zone)
        await announce(session, "appointment.cancelled", cancelled, now)
        return cancelled


# What an appointment may become. Cancelled is final: its time may be someone else's now.
__all__ = [
    "AppointmentInfo",
    "BookingRequest",
    "announce_cancelled",
    "announce_moved",
    "book",
    "cancel",
    "check_transition",
    "get_appointment",
    "list_upcoming",
    "move",
    "set_status",
]

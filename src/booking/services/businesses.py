"""Businesses: creating one, reading its settings, and finding it by the number dialled."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.config import validate_timezone
from booking.db import Database
from booking.errors import Conflict, FieldChecks, InvalidInput, NotFound
from booking.models import Appointment, AppointmentStatus, Business, BusinessNumber, Closure
from booking.services.integrity import is_overlap
from booking.services.localtime import wall_to_instant
from booking.services.phones import is_region, normalize_phone

if TYPE_CHECKING:
    from booking.services.stranding import OnStranded


# The public line's limits, all whole numbers from 1 to 1000 (bookings, calls, minutes).
LINE_LIMITS = (
    "max_bookings_per_call",
    "max_future_bookings_per_customer",
    "max_withheld_bookings_per_day",
    "max_calls_per_number",
    "repeat_call_window_minutes",
)


@dataclass(frozen=True)
class BusinessInfo:
    """What the rest of the code needs to know about a business, detached from any session."""

    id: int
    name: str
    timezone: str
    default_region: str
    slot_step_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancellation_cutoff_minutes: int
    transfer_number: str | None
    max_call_seconds: int
    numbers: tuple[str, ...]
    closures: tuple[tuple[date, date, str], ...]
    is_demo: bool = False
    reminder_minutes: int = 1440  # before each appointment; 0: no reminders
    # The public line's limits (services/line_caps, services/admission).
    max_bookings_per_call: int = 3
    max_future_bookings_per_customer: int = 4
    max_withheld_bookings_per_day: int = 5
    max_calls_per_number: int = 5
    repeat_call_window_minutes: int = 10
    sms_number: str | None = None  # texts go from it; none: the first number
    quiet_from_minute: int = 21 * 60  # no texts from then (local, minutes after midnight) ...
    quiet_until_minute: int = 8 * 60  # ... until then; equal: no quiet hours

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_closed_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last, _ in self.closures)

    @classmethod
    def of(cls, business: Business) -> BusinessInfo:
        return cls(
            id=business.id,
            name=business.name,
            timezone=business.timezone,
            default_region=business.default_region,
            slot_step_minutes=business.slot_step_minutes,
            min_notice_minutes=business.min_notice_minutes,
            horizon_days=business.horizon_days,
            cancellation_cutoff_minutes=business.cancellation_cutoff_minutes,
            transfer_number=business.transfer_number,
            max_call_seconds=business.max_call_seconds,
            numbers=tuple(n.number for n in business.numbers),
            closures=tuple((c.starts_on, c.ends_on, c.reason) for c in business.closures),
            is_demo=bool(business.is_demo),
            reminder_minutes=business.reminder_minutes,
            sms_number=business.sms_number,
            quiet_from_minute=business.quiet_from_minute,
            quiet_until_minute=business.quiet_until_minute,
            **{field: getattr(business, field) for field in LINE_LIMITS},
        )


async def load_business(session: AsyncSession, business_id: int) -> Business:
    """The business as an ORM object, for changing it."""
    business = await session.get(Business, business_id)
    if business is None:
        raise NotFound("business", business_id)
    return business


# Built once: building a statement costs more than running it (docs/performance.md).
_businesses, _numbers, _closures = Business.__table__, BusinessNumber.__table__, Closure.__table__
_SETTINGS = select(
    _businesses.c.id,
    _businesses.c.name,
    _businesses.c.timezone,
    _businesses.c.default_region,
    _businesses.c.slot_step_minutes,
    _businesses.c.min_notice_minutes,
    _businesses.c.horizon_days,
    _businesses.c.cancellation_cutoff_minutes,
    _businesses.c.transfer_number,
    _businesses.c.max_call_seconds,
    _businesses.c.is_demo,
    _businesses.c.reminder_minutes,
    _businesses.c.sms_number,
    _businesses.c.quiet_from_minute,
    _businesses.c.quiet_until_minute,
    _businesses.c.max_bookings_per_call,
    _businesses.c.max_future_bookings_per_customer,
    _businesses.c.max_withheld_bookings_per_day,
    _businesses.c.max_calls_per_number,
    _businesses.c.repeat_call_window_minutes,
).where(_businesses.c.id == bindparam("business_id"))
_NUMBERS = (
    select(_numbers.c.number)
    .where(_numbers.c.business_id == bindparam("business_id"))
    .order_by(_numbers.c.id)
)
_CLOSURES = (
    select(_closures.c.starts_on, _closures.c.ends_on, _closures.c.reason)
    .where(_closures.c.business_id == bindparam("business_id"))
    .order_by(_closures.c.id)
)


async def read_business(session: AsyncSession, business_id: int) -> BusinessInfo:
    """The business's settings, numbers and closures, read without the ORM.

    Every booking and availability search starts here, so it is three prebuilt statements
    rather than an ORM load with two relationship queries (about a fifth of the cost).
    """
    params = {"business_id": business_id}
    row = (await session.execute(_SETTINGS, params)).first()
    if row is None:
        raise NotFound("business", business_id)
    numbers = await session.scalars(_NUMBERS, params)
    closures = await session.execute(_CLOSURES, params)
    return BusinessInfo(
        **row._asdict(),
        numbers=tuple(numbers),
        closures=tuple((first, last, reason) for first, last, reason in closures),
    )


async def get_business(db: Database, business_id: int) -> BusinessInfo:
    async with db.read() as session:
        return await read_business(session, business_id)


async def create_business(
    db: Database,
    *,
    name: str,
    timezone: str,
    region: str,
    numbers: list[str] | None = None,
    transfer_number: str | None = None,
    slot_step_minutes: int = 15,
    min_notice_minutes: int = 60,
    horizon_days: int = 60,
    cancellation_cutoff_minutes: int = 120,
    max_call_seconds: int = 480,
    is_demo: bool = False,
) -> BusinessInfo:
    """Create a business; every field is validated and a bad one is named."""
    checks = FieldChecks()  # every bad field is named together
    if not name.strip():
        checks.refuse("name", "must not be empty")
    try:
        validate_timezone(timezone)
    except ValueError as exc:
        checks.refuse("timezone", str(exc))
    if not 5 <= slot_step_minutes <= 240:
        checks.refuse("slot_step_minutes", "must be between 5 and 240")
    e164: list[str] = []
    transfer = None
    if not is_region(region):  # the numbers are read in the region: not checked without one
        checks.refuse("region", f"{region!r} is not a two-letter region code like US or GB")
    else:
        region = region.upper()
        with checks.field():
            e164 = [normalize_phone(n, region, "numbers") for n in numbers or []]
        with checks.field():
            if transfer_number:
                transfer = normalize_phone(transfer_number, region, "transfer_number")
    checks.raise_any()
    async with db.write() as session:
        business = Business(
            name=name.strip(),
            timezone=timezone,
            default_region=region,
            slot_step_minutes=slot_step_minutes,
            min_notice_minutes=min_notice_minutes,
            horizon_days=horizon_days,
            cancellation_cutoff_minutes=cancellation_cutoff_minutes,
            transfer_number=transfer,
            max_call_seconds=max_call_seconds,
            is_demo=is_demo,
            numbers=[BusinessNumber(number=n) for n in e164],
            closures=[],
        )
        session.add(business)
        await session.flush()
        return BusinessInfo.of(business)


async def delete_business(db: Database, business_id: int) -> None:
    """Delete a business and everything of it: staff, services, customers, appointments,
    calls, messages, tokens, webhooks. Nothing of another business is touched; on SQLite the
    deleted rows are zeroed and the write-ahead log emptied, as after a customer's erasure."""
    async with db.write() as session:
        await load_business(session, business_id)
        # Appointments first: they hold their staff member with RESTRICT; the rest cascades.
        await session.execute(delete(Appointment).where(Appointment.business_id == business_id))
        await session.execute(delete(Business).where(Business.id == business_id))
    await db.forget_deleted()


async def business_for_dialled_number(
    db: Database, dialled: str | None, fallback_id: int | None
) -> BusinessInfo | None:
    """The business a dialled E.164 number rings, else the configured default."""
    async with db.read() as session:
        if dialled:
            found = await session.scalar(
                select(BusinessNumber.business_id).where(BusinessNumber.number == dialled)
            )
            if found is not None:
                return await read_business(session, found)
        if fallback_id is None:
            # The first real business; the demo only while it is the only one.
            fallback_id = await session.scalar(
                select(Business.id).order_by(Business.is_demo, Business.id).limit(1)
            )
            if fallback_id is None:
                return None
        try:
            return await read_business(session, fallback_id)
        except NotFound:
            return None


_LIMITS = {
    "slot_step_minutes": (5, 240),
    "min_notice_minutes": (0, 7 * 24 * 60),
    "horizon_days": (1, 730),
    "cancellation_cutoff_minutes": (0, 14 * 24 * 60),
    # Gemini Live connections last about ten minutes; the agent resumes through goAway, so
    # the bound is the business's choice, up to 30 minutes.
    "max_call_seconds": (60, 1800),
    "reminder_minutes": (0, 14 * 24 * 60),  # 0: no reminders
    "quiet_from_minute": (0, 24 * 60 - 1),  # texts' quiet hours, local minutes after midnight
    "quiet_until_minute": (0, 24 * 60 - 1),
    **{field: (1, 1000) for field in LINE_LIMITS},
}


async def update_business(
    db: Database,
    business_id: int,
    *,
    on_affected: OnStranded | None = None,
    appointments_keep: ZoneChange | None = None,
    now: datetime | None = None,
    **changes: object,
) -> BusinessInfo:
    """Change settings. A new time zone keeps appointments' instants (their local times
    change); if that leaves future ones outside the hours, they are dealt with as asked."""
    from booking.services.stranding import OnStranded, settle_stranded

    async with db.write() as session:
        business = await load_business(session, business_id)
        region = str(changes.get("default_region") or business.default_region).upper()
        checks = FieldChecks()  # every refused setting is named, not only the first
        for field, value in changes.items():
            with checks.field():
                if field == "name":
                    if not str(value or "").strip():
                        raise InvalidInput("name", "must not be empty")
                    business.name = str(value).strip()
                elif field == "timezone":
                    try:
                        new_zone = validate_timezone(str(value))
                    except ValueError as exc:
                        raise InvalidInput("timezone", str(exc)) from None
                    if str(value) != business.timezone:
                        await move_to_zone(
                            session, business, new_zone, appointments_keep, now or datetime.now(UTC)
                        )
                    business.timezone = str(value)
                elif field == "default_region":
                    if not is_region(str(value)):
                        raise InvalidInput(
                            "default_region", f"{value!r} is not a region code like US"
                        )
                    business.default_region = region
                elif field == "transfer_number":
                    business.transfer_number = (
                        normalize_phone(str(value), region, "transfer_number") if value else None
                    )
                elif field == "sms_number":
                    business.sms_number = (
                        normalize_phone(str(value), region, "sms_number") if value else None
                    )
                elif field == "numbers":
                    wanted = [normalize_phone(str(n), region, "numbers") for n in value or []]  # type: ignore[attr-defined]
                    await _replace_numbers(session, business, wanted)
                elif field in _LIMITS:
                    low, high = _LIMITS[field]
                    if not isinstance(value, int) or not low <= value <= high:
                        raise InvalidInput(field, f"must be a whole number from {low} to {high}")
                    setattr(business, field, value)
                else:
                    raise InvalidInput(field, "is not a business setting")
        checks.raise_any()
        await session.flush()
        if "timezone" in changes:
            await settle_stranded(
                session, business_id, on_affected or OnStranded.REFUSE, now=now,
                reason="the business's time zone changed",
            )  # fmt: skip
        await session.refresh(business, ["numbers", "closures"])
        return BusinessInfo.of(business)


class ZoneChange(enum.StrEnum):
    """What a new time zone keeps of the future appointments: their instants (their local
    times change) or their local wall-clock times (their instants change)."""

    INSTANTS = "instants"
    LOCAL_TIMES = "local_times"


async def move_to_zone(
    session: AsyncSession,
    business: Business,
    new_zone: ZoneInfo,
    keep: ZoneChange | None,
    now: datetime,
) -> None:
    """Apply a zone change to the future bookings, as asked; with some and no choice, refuse."""
    future = list(
        await session.scalars(
            select(Appointment)
            .where(
                Appointment.business_id == business.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= now,
            )
            .order_by(Appointment.id)
        )
    )
    if not future or keep == ZoneChange.INSTANTS:
        return
    if keep is None:
        raise Conflict(
            f"{len(future)} future appointment(s) are booked: say whether they keep their "
            "local times (appointments_keep=local_times, each moved to the same wall-clock "
            "time in the new zone) or their instants (appointments_keep=instants)"
        )
    old_zone = ZoneInfo(business.timezone)
    shifts = []
    for appointment in future:
        local = appointment.starts_at.astimezone(old_zone)
        start = wall_to_instant(local.date(), local.time().replace(tzinfo=None), new_zone)
        if start is None:
            raise InvalidInput(
                "timezone",
                f"appointment {appointment.id} at {local:%Y-%m-%d %H:%M} would fall in the hour "
                f"{new_zone.key} skips when its clocks go forward; move it first",
            )
        shifts.append((appointment, start - appointment.starts_at))
    # Lifted from the overlap guard while they move (it checks booked rows only), so that one
    # moving into another's old time is not taken for an overlap; each is checked again as
    # it is booked back, against the rest of the book and those already moved.
    for appointment, _ in shifts:
        appointment.status = AppointmentStatus.CANCELLED
    await session.flush()
    for appointment, delta in shifts:
        appointment.starts_at += delta
        appointment.ends_at += delta
        appointment.blocked_until += delta
        appointment.status = AppointmentStatus.BOOKED
    try:
        await session.flush()
    except IntegrityError as exc:
        if is_overlap(exc):
            raise Conflict(
                "keeping the local times would make two appointments overlap; nothing changed"
            ) from None
        raise
    # Their instants changed: customers' calendars, reminders and webhooks hear of it as a
    # move, with local times read in the new zone.
    from booking.services.appointments import announce_moved

    business.timezone = new_zone.key
    await session.flush()
    for appointment, _ in shifts:
        await announce_moved(session, appointment, now)


async def _replace_numbers(session: AsyncSession, business: Business, wanted: list[str]) -> None:
    taken = await session.scalar(
        select(BusinessNumber.number).where(
            BusinessNumber.number.in_(wanted), BusinessNumber.business_id != business.id
        )
    )
    if taken is not None:
        raise InvalidInput("numbers", f"{taken} already rings another business")
    business.numbers = [n for n in business.numbers if n.number in wanted]
    have = {n.number for n in business.numbers}
    business.numbers.extend(
        BusinessNumber(number=n) for n in dict.fromkeys(wanted) if n not in have
    )

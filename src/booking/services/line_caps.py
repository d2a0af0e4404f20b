"""The public line's booking caps: per call, per customer's future bookings, and per day from
withheld numbers. Checked inside the booking's own transaction, after a lock that makes the
phone bookings of one business count one at a time, so concurrent calls cannot overrun a cap.

SQLite needs no lock (its writers take turns, BEGIN IMMEDIATE); PostgreSQL takes an advisory
lock of its own per business, held to the end of the transaction. Bookings through the admin
API are never capped.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from booking import metrics
from booking.errors import LimitReached
from booking.models import Appointment, AppointmentSource, AppointmentStatus, Call
from booking.services.businesses import BusinessInfo
from booking.services.localtime import wall_to_instant

# The first key of PostgreSQL's two-key advisory locks: "counting this business's bookings".
CAPS_LOCK_CLASS = 7302
_LOCK = text("SELECT pg_advisory_xact_lock(:kind, :business_id)")
OFFER_INSTEAD = "Offer to take a message or to transfer the caller to the team instead."


async def _count(session: AsyncSession, *where: object) -> int:
    found = await session.scalar(select(func.count(Appointment.id)).where(*where))  # type: ignore[arg-type]
    return int(found or 0)


def _day_starts(business: BusinessInfo, now: datetime) -> datetime:
    """When the business's local day holding `now` began, as an instant."""
    today = now.astimezone(business.zone).date()
    return wall_to_instant(today, time(0), business.zone) or now - timedelta(days=1)


def _refuse(reason: str, sentence: str) -> LimitReached:
    metrics.LINE_REFUSALS.labels(reason=reason).inc()
    return LimitReached(reason, f"{sentence} {OFFER_INSTEAD}")


async def check_caps(
    session: AsyncSession,
    business: BusinessInfo,
    customer_id: int,
    call_id: int | None,
    source: AppointmentSource,
    now: datetime,
) -> None:
    """Refuse a phone booking past a cap, with a sentence the receptionist can say."""
    if source != AppointmentSource.PHONE:
        return
    business_id = business.id
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK, {"kind": CAPS_LOCK_CLASS, "business_id": business_id})
    if call_id is not None:
        made = await _count(session, Appointment.call_id == call_id)
        if made >= business.max_bookings_per_call:
            raise _refuse(
                "bookings_per_call",
                f"This call has already made {made} bookings, the most one call may make.",
            )
    held = await _count(
        session,
        Appointment.business_id == business_id,
        Appointment.customer_id == customer_id,
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.starts_at >= now,
    )
    if held >= business.max_future_bookings_per_customer:
        raise _refuse(
            "future_bookings_per_customer",
            f"The caller already has {held} upcoming appointments, the most we hold for one "
            "person.",
        )
    if call_id is None:
        return
    verified = await session.scalar(select(Call.caller_verified).where(Call.id == call_id))
    if verified:
        return
    # Counted by the calls' start (the calls' clock), not the rows' creation time.
    withheld_calls_today = select(Call.id).where(
        Call.business_id == business_id,
        Call.caller_verified.is_(False),
        Call.started_at >= _day_starts(business, now),
    )
    today = await _count(
        session,
        Appointment.business_id == business_id,
        Appointment.source == AppointmentSource.PHONE,
        Appointment.call_id.in_(withheld_calls_today),
    )
    if today >= business.max_withheld_bookings_per_day:
        raise _refuse(
            "withheld_bookings_per_day",
            "We cannot take more bookings today from callers whose number is withheld.",
        )

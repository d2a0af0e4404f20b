"""A staff member's calendar feed, found by its secret key: their appointments from 30 days ago on.

Only booked and completed appointments are in it. Cancelled (and no-show) ones are left out: a
subscribed calendar replaces its copy with each fetch, so a cancellation simply disappears, and
several clients would still draw an event marked STATUS:CANCELLED.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from booking.db import Database
from booking.errors import NotFound
from booking.models import Appointment, AppointmentStatus, Customer, Service, Staff
from booking.services.businesses import load_business

PAST_DAYS = 30
MAX_EVENTS = 5000
MAX_KEY = 128
SHOWN = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)


@dataclass(frozen=True)
class FeedEvent:
    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    service_name: str | None
    customer_first_name: str | None
    created_at: datetime
    updated_at: datetime
    outside_hours: bool = False  # kept through a schedule change; the staff member should know


@dataclass(frozen=True)
class StaffFeed:
    staff_id: int
    staff_name: str
    business_name: str
    timezone: str
    events: list[FeedEvent]


def first_name(name: str | None) -> str | None:
    parts = (name or "").split()
    return parts[0] if parts else None


async def feed_by_key(db: Database, staff_id: int, key: str | None, now: datetime) -> StaffFeed:
    """The feed of a staff member whose current key is `key`; anything else is NotFound alike."""
    async with db.read() as session:
        staff = await session.get(Staff, staff_id)
        stored = (staff.calendar_key if staff else None) or ""
        given = key or ""
        # compare_digest runs even when there is nothing to match, so every refusal looks alike.
        matches = hmac.compare_digest(given.encode()[:MAX_KEY], stored.encode())
        if staff is None or not stored or not given or len(given) > MAX_KEY or not matches:
            raise NotFound("calendar feed", staff_id)
        business = await load_business(session, staff.business_id)
        rows = await session.execute(
            select(Appointment, Service.name, Customer.name)
            .outerjoin(Service, Service.id == Appointment.service_id)
            .outerjoin(Customer, Customer.id == Appointment.customer_id)
            .where(
                Appointment.staff_id == staff_id,
                Appointment.status.in_(SHOWN),
                Appointment.starts_at >= now - timedelta(days=PAST_DAYS),
            )
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(MAX_EVENTS)
        )
        events = [
            FeedEvent(
                appointment_id=a.id,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                status=a.status,
                service_name=service_name,
                customer_first_name=first_name(customer_name),
                created_at=a.created_at,
                updated_at=a.updated_at,
                outside_hours=bool(a.outside_hours),
            )
            for a, service_name, customer_name in rows
        ]
        return StaffFeed(staff.id, staff.name, business.name, business.timezone, events)

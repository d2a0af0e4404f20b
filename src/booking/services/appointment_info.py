"""An appointment as the rest of the product sees it (`AppointmentInfo`), and reading one or a
customer's upcoming ones within a business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import NotFound
from booking.models import Appointment, AppointmentSource, AppointmentStatus, Service, Staff
from booking.services.businesses import read_business
from booking.services.customers import read_customer


@dataclass(frozen=True)
class AppointmentInfo:
    """An appointment as people speak of it: wall-clock time in the business's zone, and UTC."""

    id: int
    business_id: int
    staff_id: int
    staff_name: str
    customer_id: int | None
    service_id: int | None
    service_name: str | None
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    status: AppointmentStatus
    source: AppointmentSource
    call_id: int | None
    notes: str
    outside_hours: bool = False  # kept booked through a schedule change that left it outside

    @property
    def local_date(self) -> date:
        return self.local_start.date()

    @property
    def local_time(self) -> time:
        return self.local_start.time().replace(tzinfo=None)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


# Names only: loading the ORM objects would also load a staff member's hours and services.
_STAFF_NAME = select(Staff.__table__.c.name).where(Staff.__table__.c.id == bindparam("staff_id"))
_SERVICE_NAME = select(Service.__table__.c.name).where(
    Service.__table__.c.id == bindparam("service_id")
)


async def describe(
    session: AsyncSession, appointment: Appointment, zone: ZoneInfo
) -> AppointmentInfo:
    """The appointment with its staff member's and service's names, in the business's zone."""
    staff_name = await session.scalar(_STAFF_NAME, {"staff_id": appointment.staff_id})
    service_name = (
        await session.scalar(_SERVICE_NAME, {"service_id": appointment.service_id})
        if appointment.service_id
        else None
    )
    return AppointmentInfo(
        id=appointment.id,
        business_id=appointment.business_id,
        staff_id=appointment.staff_id,
        staff_name=staff_name or "",
        customer_id=appointment.customer_id,
        service_id=appointment.service_id,
        service_name=service_name,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        local_start=appointment.starts_at.astimezone(zone),
        status=appointment.status,
        source=appointment.source,
        call_id=appointment.call_id,
        notes=appointment.notes,
        outside_hours=bool(appointment.outside_hours),
    )


async def load(
    session: AsyncSession,
    business_id: int,
    appointment_id: int,
    customer_id: int | None = None,
    *,
    for_update: bool = False,
) -> Appointment:
    """The appointment; with `customer_id`, only if it is theirs (else it does not exist).

    `for_update` locks the row (PostgreSQL; SQLite's write lock already serialises writers), so
    concurrent changes of one appointment see each other's result instead of both "succeeding".
    """
    appointment = await session.get(Appointment, appointment_id, with_for_update=for_update)
    if appointment is None or appointment.business_id != business_id:
        raise NotFound("appointment", appointment_id)
    if customer_id is not None and appointment.customer_id != customer_id:
        raise NotFound("appointment", appointment_id)
    return appointment


async def get_appointment(
    db: Database, business_id: int, appointment_id: int, customer_id: int | None = None
) -> AppointmentInfo:
    async with db.read() as session:
        business = await read_business(session, business_id)
        appointment = await load(session, business_id, appointment_id, customer_id)
        return await describe(session, appointment, business.zone)


async def list_upcoming(
    db: Database,
    business_id: int,
    customer_id: int,
    *,
    now: datetime | None = None,
    limit: int = 10,
) -> list[AppointmentInfo]:
    """A customer's booked appointments that have not started yet, soonest first."""
    now = now or datetime.now(UTC)
    async with db.read() as session:
        business = await read_business(session, business_id)
        if await read_customer(session, business_id, customer_id) is None:
            raise NotFound("customer", customer_id)
        rows = await session.scalars(
            select(Appointment)
            .where(
                Appointment.business_id == business_id,
                Appointment.customer_id == customer_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= now,
            )
            .order_by(Appointment.starts_at)
            .limit(limit)
        )
        return [await describe(session, row, business.zone) for row in rows]

"""Reading the book: appointments by local date range, staff, customer and status, paginated."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from booking.db import Database
from booking.errors import InvalidInput
from booking.models import Appointment, AppointmentStatus, Service, Staff
from booking.services.appointments import AppointmentInfo
from booking.services.businesses import read_business
from booking.services.localtime import day_bounds
from booking.services.pagination import Page, PageRequest

MAX_RANGE_DAYS = 366


async def list_appointments(
    db: Database,
    business_id: int,
    *,
    start_date: date | None = None,
    end_date: date | None = None,
    staff_id: int | None = None,
    customer_id: int | None = None,
    status: AppointmentStatus | None = None,
    call_id: int | None = None,
    page: PageRequest | None = None,
) -> Page[AppointmentInfo]:
    """Appointments ordered by start; dates are the business's local dates, inclusive."""
    page = page or PageRequest()
    if start_date and end_date and end_date < start_date:
        raise InvalidInput("end_date", "must not be before start_date")
    if start_date and end_date and (end_date - start_date).days > MAX_RANGE_DAYS:
        raise InvalidInput("end_date", f"a listing covers at most {MAX_RANGE_DAYS} days")
    async with db.read() as session:
        business = await read_business(session, business_id)
        condition = Appointment.business_id == business_id
        if start_date is not None:
            condition &= (
                Appointment.starts_at >= day_bounds(start_date, start_date, business.zone)[0]
            )
        if end_date is not None:
            condition &= Appointment.starts_at < day_bounds(end_date, end_date, business.zone)[1]
        if staff_id is not None:
            condition &= Appointment.staff_id == staff_id
        if customer_id is not None:
            condition &= Appointment.customer_id == customer_id
        if status is not None:
            condition &= Appointment.status == status
        if call_id is not None:  # what one call booked
            condition &= Appointment.call_id == call_id
        total = int(await session.scalar(select(func.count(Appointment.id)).where(condition)) or 0)
        rows = await session.execute(
            select(Appointment, Staff.name, Service.name)
            .join(Staff, Staff.id == Appointment.staff_id)
            .outerjoin(Service, Service.id == Appointment.service_id)
            .where(condition)
            .order_by(Appointment.starts_at, Appointment.id)
            .offset(page.offset)
            .limit(page.page_size)
        )
        items = [
            AppointmentInfo(
                id=a.id,
                business_id=a.business_id,
                staff_id=a.staff_id,
                staff_name=staff_name,
                customer_id=a.customer_id,
                service_id=a.service_id,
                service_name=service_name,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                local_start=a.starts_at.astimezone(business.zone),
                status=a.status,
                source=a.source,
                call_id=a.call_id,
                notes=a.notes,
                outside_hours=bool(a.outside_hours),
            )
            for a, staff_name, service_name in rows
        ]
        return Page(items, total, page.page, page.page_size)

"""What leaves the process when an appointment changes: its webhooks, the customer's email and
text, reminders, and the event in the staff member's calendar, all queued in the change's own
transaction (the outbox sends them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from booking.models import Appointment
from booking.services import calendar_writes, notifications, webhooks
from booking.services.appointment_info import AppointmentInfo, describe
from booking.services.businesses import read_business
from booking.services.customers import CustomerInfo, read_customer


async def announce_moved(session: AsyncSession, appointment: Appointment, now: datetime) -> None:
    """The `appointment.moved` webhook (and its email and reminders) for an appointment moved
    in this session by something other than `move`."""
    business = await read_business(session, appointment.business_id)
    info = await describe(session, appointment, business.zone)
    await announce(session, "appointment.moved", info, now)


async def announce_cancelled(
    session: AsyncSession, appointment: Appointment, now: datetime, *, reason: str = ""
) -> None:
    """The `appointment.cancelled` webhook for an appointment cancelled in this session."""
    business = await read_business(session, appointment.business_id)
    info = await describe(session, appointment, business.zone)
    await announce(session, "appointment.cancelled", info, now, reason=reason)


async def announce(
    session: AsyncSession,
    event: str,
    appointment: AppointmentInfo,
    now: datetime,
    customer: CustomerInfo | None = None,
    *,
    reason: str = "",
) -> None:
    """Queue the webhook deliveries, the customer's email and the reminders for this change,
    in its own transaction."""
    if customer is None and appointment.customer_id:
        customer = await read_customer(session, appointment.business_id, appointment.customer_id)
    data = {
        "appointment_id": appointment.id,
        "status": appointment.status.value,
        "appointment_date": appointment.local_date.isoformat(),
        "appointment_time": appointment.local_time.strftime("%H:%M"),
        "timezone": str(appointment.local_start.tzinfo),
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "staff_id": appointment.staff_id,
        "staff_name": appointment.staff_name,
        "service_id": appointment.service_id,
        "service_name": appointment.service_name,
        "source": appointment.source.value,
        "customer": (
            {"id": customer.id, "name": customer.name, "phone": customer.phone}
            if customer
            else None
        ),
        **({"reason": reason} if reason else {}),
    }
    await webhooks.enqueue(
        session, appointment.business_id, event, data, now=now, appointment_id=appointment.id
    )
    await calendar_writes.enqueue(
        session, appointment.business_id, appointment.id, [appointment.staff_id], event, now
    )
    await notifications.on_change(session, appointment.business_id, event, data, customer, now)

"""Deleting a customer on request: everything that names them goes, in one transaction.

Their record, their number and the transcripts and tool arguments of their calls, their
messages and stored idempotency answers are removed; future appointments are cancelled and past
ones kept without a name (the staff member's history stays true).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, or_, select, update

from booking.db import Database
from booking.models import (
    Appointment,
    AppointmentStatus,
    Call,
    IdempotencyRecord,
    Message,
    ToolCall,
)
from booking.services.customers import load_customer


async def erase_customer(
    db: Database, business_id: int, customer_id: int, *, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    async with db.write() as session:
        customer = await load_customer(session, business_id, customer_id)
        phone = customer.phone
        await session.execute(
            update(Appointment)
            .where(
                Appointment.customer_id == customer_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= now,
            )
            .values(status=AppointmentStatus.CANCELLED, notes="")
        )
        await session.execute(
            update(Appointment)
            .where(Appointment.customer_id == customer_id)
            .values(customer_id=None, notes="")
        )
        their_calls = select(Call.id).where(
            Call.business_id == business_id,
            or_(Call.customer_id == customer_id, Call.caller_number == phone),
        )
        call_ids = list(await session.scalars(their_calls))
        if call_ids:
            await session.execute(
                update(ToolCall)
                .where(ToolCall.call_id.in_(call_ids))
                .values(arguments=None, result=None, error=None)
            )
            await session.execute(
                update(Call)
                .where(Call.id.in_(call_ids))
                .values(caller_number=None, customer_id=None, transcript=[])
            )
        await session.execute(
            delete(Message).where(
                Message.business_id == business_id,
                or_(Message.customer_id == customer_id, Message.callback_number == phone),
            )
        )
        await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.customer_id == customer_id)
        )
        await session.delete(customer)

"""A booking for someone not yet on file: the customer is created and the time booked in one
transaction, so a refused time (taken meanwhile, outside hours) leaves no customer behind.
The web page's New booking form uses it; the API keeps its two calls."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking import metrics
from booking.db import Database
from booking.errors import DuplicateCustomer, SlotUnavailable
from booking.models import Customer
from booking.services import idempotency
from booking.services.appointments import AppointmentInfo, BookingRequest, book_in, check_notes
from booking.services.businesses import load_business
from booking.services.customers import CustomerInfo, add_customer, find_by_phone
from booking.services.integrity import is_overlap
from booking.services.phones import normalize_phone


@dataclass(frozen=True)
class NewCustomer:
    """Who to create: as `create_customer` takes them (no consents: nobody was asked)."""

    phone: str
    name: str
    email: str | None = None


async def book_new_customer(
    db: Database,
    new: NewCustomer,
    request: BookingRequest,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[CustomerInfo, AppointmentInfo]:
    """Create the customer and book `request` for them (its customer_id is replaced), all or
    nothing. A number already on file is DuplicateCustomer, except for a repeat of this very
    request (same key, same time), which is answered as the first was."""
    now = now or datetime.now(UTC)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    check_notes(request)
    try:
        async with db.write() as session:
            business = await load_business(session, request.business_id)
            e164 = normalize_phone(new.phone, business.default_region)
            on_file = await session.scalar(
                select(Customer.id).where(
                    Customer.business_id == request.business_id, Customer.phone == e164
                )
            )
            if on_file is not None:
                if key is None or await idempotency.find(session, request.business_id, key) is None:
                    raise DuplicateCustomer(on_file)
                # A double submit: the first made this customer; book_in replays its answer
                # (or refuses a key reused for another time).
                mine = replace(request, customer_id=on_file)
                booked, _ = await book_in(session, mine, key=key, now=now)
                made = await session.get_one(Customer, on_file)
                return CustomerInfo.of(made), booked
            customer = await add_customer(
                session, request.business_id, phone=new.phone, name=new.name, email=new.email
            )
            mine = replace(request, customer_id=customer.id)
            booked, _ = await book_in(session, mine, key=key, now=now)
        metrics.BOOKINGS.labels(source=request.source.value).inc()
        return customer, booked
    except SlotUnavailable:
        metrics.REFUSALS.labels(source=request.source.value, reason="slot_unavailable").inc()
        raise
    except IntegrityError as exc:
        if is_overlap(exc):
            metrics.REFUSALS.labels(source=request.source.value, reason="slot_unavailable").inc()
            raise SlotUnavailable() from None
        # A concurrent create of the same number (or a concurrent use of the key) won.
        found = await find_by_phone(db, request.business_id, new.phone)
        if found is None:
            raise
        raise DuplicateCustomer(found.id) from None

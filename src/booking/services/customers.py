"""Customers: known by phone (E.164, per business), created once, updated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import DuplicateCustomer, FieldChecks, InvalidInput, NotFound
from booking.models import (
    Appointment,
    AppointmentStatus,
    Business,
    Channel,
    Customer,
    DeliveryStatus,
    WebhookDelivery,
)
from booking.services import calendar_writes
from booking.services.businesses import load_business
from booking.services.phones import normalize_phone
from booking.services.plain_text import without_controls

MAX_NAME = 200


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    business_id: int
    phone: str
    name: str
    email: str | None
    notes: str
    created_at: datetime
    email_consent: bool = False  # said yes to confirmations and reminders by email
    sms_consent: bool = False  # said yes to them by text (and not STOP since)

    @classmethod
    def of(cls, customer: Customer) -> CustomerInfo:
        return cls(
            id=customer.id,
            business_id=customer.business_id,
            phone=customer.phone,
            name=customer.name,
            email=customer.email,
            notes=customer.notes,
            created_at=customer.created_at,
            email_consent=bool(customer.email_consent),
            sms_consent=bool(customer.sms_consent),
        )


def _clean_name(name: str) -> str:
    cleaned = " ".join(without_controls(name or "").split())
    if not cleaned:
        raise InvalidInput("name", "must not be empty")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput("name", f"must be at most {MAX_NAME} characters")
    return cleaned


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 320 or " " in email:
        raise InvalidInput("email", "is not an email address")
    return email


async def load_customer(session: AsyncSession, business_id: int, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.business_id != business_id:
        raise NotFound("customer", customer_id)
    return customer


# Built once: on the paths a caller waits on, building a statement costs more than running it.
_customers = Customer.__table__
_ROW = select(
    _customers.c.id,
    _customers.c.business_id,
    _customers.c.phone,
    _customers.c.name,
    _customers.c.email,
    _customers.c.notes,
    _customers.c.created_at,
    _customers.c.email_consent,
    _customers.c.sms_consent,
)
_CUSTOMER = _ROW.where(_customers.c.id == bindparam("customer_id"))
_BY_PHONE = _ROW.where(
    _customers.c.business_id == bindparam("business_id"), _customers.c.phone == bindparam("phone")
)
_REGION = select(Business.__table__.c.default_region).where(
    Business.__table__.c.id == bindparam("business_id")
)


async def read_customer(
    session: AsyncSession, business_id: int, customer_id: int
) -> CustomerInfo | None:
    """The business's customer, read without the ORM (a booking reads it on every call)."""
    row = (await session.execute(_CUSTOMER, {"customer_id": customer_id})).first()
    if row is None or row.business_id != business_id:
        return None
    return CustomerInfo(**row._asdict())


async def find_by_phone(db: Database, business_id: int, phone: str) -> CustomerInfo | None:
    """The customer with this number in any common format, or None."""
    async with db.read() as session:
        # Only the region is needed: one column, not the business with its numbers and closures.
        region = await session.scalar(_REGION, {"business_id": business_id})
        if region is None:
            raise NotFound("business", business_id)
        e164 = normalize_phone(phone, region)
        params = {"business_id": business_id, "phone": e164}
        row = (await session.execute(_BY_PHONE, params)).first()
        return CustomerInfo(**row._asdict()) if row else None


async def get_customer(db: Database, business_id: int, customer_id: int) -> CustomerInfo:
    async with db.read() as session:
        return CustomerInfo.of(await load_customer(session, business_id, customer_id))


async def create_customer(
    db: Database,
    business_id: int,
    *,
    phone: str,
    name: str,
    email: str | None = None,
    notes: str = "",
    email_consent: bool = False,
    sms_consent: bool = False,
) -> CustomerInfo:
    """Create a customer; a phone already on file is refused with DuplicateCustomer."""
    try:
        async with db.write() as session:
            return await add_customer(
                session, business_id, phone=phone, name=name, email=email, notes=notes,
                email_consent=email_consent, sms_consent=sms_consent,
            )  # fmt: skip
    except IntegrityError:
        # A concurrent create won the unique (business, phone) constraint.
        found = await find_by_phone(db, business_id, phone)
        if found is None:
            raise
        raise DuplicateCustomer(found.id) from None


async def add_customer(
    session: AsyncSession,
    business_id: int,
    *,
    phone: str,
    name: str,
    email: str | None = None,
    notes: str = "",
    email_consent: bool = False,
    sms_consent: bool = False,
) -> CustomerInfo:
    """`create_customer` inside a write transaction the caller owns. A concurrent create of
    the same number surfaces as IntegrityError at flush or commit."""
    business = await load_business(session, business_id)
    checks = FieldChecks()
    with checks.field():
        e164 = normalize_phone(phone, business.default_region)
    with checks.field():
        clean_name = _clean_name(name)
    with checks.field():
        clean_email = _clean_email(email)
    checks.raise_any()
    existing = await session.scalar(
        select(Customer.id).where(Customer.business_id == business_id, Customer.phone == e164)
    )
    if existing is not None:
        raise DuplicateCustomer(existing)
    customer = Customer(
        business_id=business_id,
        phone=e164,
        name=clean_name,
        email=clean_email,
        notes=notes,
        email_consent=email_consent,
        sms_consent=sms_consent,
    )
    session.add(customer)
    await session.flush()
    return CustomerInfo.of(customer)


async def _retitle_events(
    session: AsyncSession, business_id: int, customer_id: int, now: datetime
) -> None:
    """The customer's upcoming appointments are titled with their name in the staff members'
    own calendars: written again under the new one."""
    upcoming = await session.scalars(
        select(Appointment.id).where(
            Appointment.customer_id == customer_id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.ends_at > now,
        )
    )
    await calendar_writes.enqueue_for_appointments(
        session, business_id, upcoming, "customer.renamed", now
    )


async def update_customer(
    db: Database,
    business_id: int,
    customer_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    notes: str | None = None,
    email_consent: bool | None = None,
    sms_consent: bool | None = None,
    now: datetime | None = None,
) -> CustomerInfo:
    """Change the given fields; a phone that another customer has is refused. Consent taken
    back (or the address changed) drops the email not yet sent to them; a new name is written
    to their upcoming appointments' events in the staff's calendars."""
    try:
        async with db.write() as session:
            customer = await load_customer(session, business_id, customer_id)
            checks = FieldChecks()
            with checks.field():
                clean_name = _clean_name(name) if name is not None else customer.name
            with checks.field():
                clean_email = _clean_email(email) if email is not None else customer.email
            with checks.field():
                if phone is not None:
                    business = await load_business(session, business_id)
                    e164 = normalize_phone(phone, business.default_region)
            checks.raise_any()
            renamed = clean_name != customer.name
            customer.name = clean_name
            if renamed:
                await _retitle_events(session, business_id, customer_id, now or datetime.now(UTC))
            address_before = customer.email
            customer.email = clean_email
            if notes is not None:
                customer.notes = notes
            if email_consent is not None:
                customer.email_consent = email_consent
            if email_consent is False or customer.email != address_before:
                await drop_queued_email(session, customer_id)
            if sms_consent is not None:
                customer.sms_consent = sms_consent
            if sms_consent is False:
                await drop_queued_texts(session, customer_id)
            if phone is not None:
                other = await session.scalar(
                    select(Customer.id).where(
                        Customer.business_id == business_id,
                        Customer.phone == e164,
                        Customer.id != customer_id,
                    )
                )
                if other is not None:
                    raise DuplicateCustomer(other)
                customer.phone = e164
            await session.flush()
            return CustomerInfo.of(customer)
    except IntegrityError:
        # A concurrent create or update took the number after our check (PostgreSQL).
        found = await find_by_phone(db, business_id, phone) if phone is not None else None
        if found is None or found.id == customer_id:
            raise
        raise DuplicateCustomer(found.id) from None


async def drop_queued_email(session: AsyncSession, customer_id: int) -> None:
    """Email not yet sent to the customer is dropped: they took consent back, changed their
    address, or asked to be forgotten."""
    await _drop_queued(session, customer_id, Channel.EMAIL)


async def drop_queued_texts(session: AsyncSession, customer_id: int) -> None:
    """Texts not yet sent to the customer are dropped: they took consent back (STOP)."""
    await _drop_queued(session, customer_id, Channel.SMS)


async def _drop_queued(session: AsyncSession, customer_id: int, channel: Channel) -> None:
    await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.customer_id == customer_id,
            WebhookDelivery.channel == channel,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
    )

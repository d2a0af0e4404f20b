"""The business's catalogue of services: what can be booked, how long it takes, its buffer,
its price and description (what callers are told)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from booking.db import Database
from booking.errors import FieldChecks, InvalidInput, NotFound
from booking.models import Service
from booking.services.businesses import load_business


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    business_id: int
    name: str
    duration_minutes: int
    buffer_minutes: int
    active: bool
    price_minor: int | None = None  # in the currency's minor unit (cents); None: not quoted
    currency: str | None = None  # ISO 4217
    description: str = ""


async def list_services(
    db: Database, business_id: int, *, active_only: bool = True
) -> list[ServiceInfo]:
    async with db.read() as session:
        query = select(Service).where(Service.business_id == business_id).order_by(Service.id)
        if active_only:
            query = query.where(Service.active.is_(True))
        return [_service_info(s) for s in await session.scalars(query)]


async def create_service(
    db: Database,
    business_id: int,
    name: str,
    duration_minutes: int,
    buffer_minutes: int = 0,
    *,
    price_minor: int | None = None,
    currency: str | None = None,
    description: str = "",
) -> int:
    checks = FieldChecks()  # every refused field is named, not only the first
    with checks.field():
        price_minor, currency = check_price(price_minor, currency)
    description = " ".join(description.split())
    if len(description) > 500:
        checks.refuse("description", "must be at most 500 characters")
    if not name.strip():
        checks.refuse("name", "must not be empty")
    if not 5 <= duration_minutes <= 720:
        checks.refuse("duration_minutes", "must be between 5 and 720")
    if not 0 <= buffer_minutes <= 240:
        checks.refuse("buffer_minutes", "must be between 0 and 240")
    checks.raise_any()
    async with db.write() as session:
        await load_business(session, business_id)
        service = Service(
            business_id=business_id,
            name=name.strip(),
            duration_minutes=duration_minutes,
            buffer_minutes=buffer_minutes,
            active=True,
            price_minor=price_minor,
            currency=currency,
            description=description,
        )
        session.add(service)
        await session.flush()
        return service.id


async def get_service(db: Database, business_id: int, service_id: int) -> ServiceInfo:
    async with db.read() as session:
        service = await session.get(Service, service_id)
        if service is None or service.business_id != business_id:
            raise NotFound("service", service_id)
        return _service_info(service)


def _service_info(s: Service) -> ServiceInfo:
    return ServiceInfo(
        s.id, s.business_id, s.name, s.duration_minutes, s.buffer_minutes, s.active,
        s.price_minor, s.currency, s.description,
    )  # fmt: skip


def check_price(price_minor: int | None, currency: str | None) -> tuple[int | None, str | None]:
    """A price is an amount in minor units and an ISO 4217 code, both or neither."""
    if price_minor is None and currency is None:
        return None, None
    if price_minor is None or currency is None:
        field = "currency" if currency is None else "price_minor"
        raise InvalidInput(field, "give price_minor and currency together")
    if not 0 <= price_minor <= 100_000_000:
        raise InvalidInput("price_minor", "must be from 0 to 100000000 (minor units)")
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput("currency", "must be a three-letter ISO 4217 code such as USD")
    return price_minor, code


async def update_service(
    db: Database,
    business_id: int,
    service_id: int,
    *,
    name: str | None = None,
    duration_minutes: int | None = None,
    buffer_minutes: int | None = None,
    active: bool | None = None,
    price_minor: int | None = None,
    currency: str | None = None,
    description: str | None = None,
) -> ServiceInfo:
    """Change a service; booked appointments keep the times they were booked with."""
    async with db.write() as session:
        service = await session.get(Service, service_id)
        if service is None or service.business_id != business_id:
            raise NotFound("service", service_id)
        checks = FieldChecks()
        if name is not None:
            if not name.strip():
                checks.refuse("name", "must not be empty")
            service.name = name.strip()
        if duration_minutes is not None:
            if not 5 <= duration_minutes <= 720:
                checks.refuse("duration_minutes", "must be between 5 and 720")
            service.duration_minutes = duration_minutes
        if buffer_minutes is not None:
            if not 0 <= buffer_minutes <= 240:
                checks.refuse("buffer_minutes", "must be between 0 and 240")
            service.buffer_minutes = buffer_minutes
        if active is not None:
            service.active = active
        if price_minor is not None or currency is not None:
            with checks.field():
                service.price_minor, service.currency = check_price(
                    price_minor if price_minor is not None else service.price_minor,
                    currency if currency is not None else service.currency,
                )
        if description is not None:
            text = " ".join(description.split())
            if len(text) > 500:
                checks.refuse("description", "must be at most 500 characters")
            service.description = text
        checks.raise_any()  # before the flush: a refused change writes nothing
        await session.flush()
        return _service_info(service)

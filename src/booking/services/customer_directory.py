"""Finding customers: search by name or by phone in any format, a page at a time."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select

from booking.db import Database
from booking.errors import InvalidInput
from booking.models import Customer
from booking.services.businesses import load_business
from booking.services.customers import CustomerInfo
from booking.services.pagination import Page, PageRequest
from booking.services.phones import try_normalize_phone

MAX_QUERY = 100


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_customers(
    db: Database, business_id: int, query: str | None, page: PageRequest
) -> Page[CustomerInfo]:
    """Customers whose name contains `query`, or whose phone matches it in any format."""
    if query is not None and len(query) > MAX_QUERY:
        raise InvalidInput("q", f"must be at most {MAX_QUERY} characters")
    async with db.read() as session:
        business = await load_business(session, business_id)
        condition = Customer.business_id == business_id
        text = (query or "").strip()
        if text:
            phone = try_normalize_phone(text, business.default_region)
            digits = "".join(c for c in text if c.isdigit())
            name_match = func.lower(Customer.name).like(
                f"%{_escape_like(text.lower())}%", escape="\\"
            )
            matches: list[ColumnElement[bool]] = [name_match]
            if phone:
                matches.append(Customer.phone == phone)
            elif len(digits) >= 4:
                matches.append(Customer.phone.like(f"%{digits}%"))
            condition = condition & or_(*matches)
        total = int(await session.scalar(select(func.count()).where(condition)) or 0)
        rows = await session.scalars(
            select(Customer)
            .where(condition)
            .order_by(Customer.name, Customer.id)
            .offset(page.offset)
            .limit(page.page_size)
        )
        return Page([CustomerInfo.of(c) for c in rows], total, page.page, page.page_size)

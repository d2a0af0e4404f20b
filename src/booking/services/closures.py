"""Closures: the days the whole business is shut. Adding one deals with the appointments on
those days as the owner asks (`stranding`), as every schedule change does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import Closure
from booking.services.businesses import load_business

if TYPE_CHECKING:
    from booking.services.stranding import OnStranded


@dataclass(frozen=True)
class ClosureInfo:
    id: int
    starts_on: date
    ends_on: date
    reason: str


async def list_closures(db: Database, business_id: int) -> list[ClosureInfo]:
    async with db.read() as session:
        await load_business(session, business_id)
        rows = await session.scalars(
            select(Closure).where(Closure.business_id == business_id).order_by(Closure.starts_on)
        )
        return [ClosureInfo(c.id, c.starts_on, c.ends_on, c.reason) for c in rows]


async def create_closure(
    db: Database,
    business_id: int,
    starts_on: date,
    ends_on: date,
    reason: str = "",
    *,
    on_affected: OnStranded | None = None,
    now: datetime | None = None,
) -> ClosureInfo:
    """Close the business for some days; appointments on them are dealt with as asked."""
    from booking.services.stranding import OnStranded, settle_stranded

    if ends_on < starts_on:
        raise InvalidInput("ends_on", "must not be before starts_on")
    async with db.write() as session:
        await load_business(session, business_id)
        closure = Closure(
            business_id=business_id, starts_on=starts_on, ends_on=ends_on, reason=reason
        )
        session.add(closure)
        await session.flush()
        await settle_stranded(
            session, business_id, on_affected or OnStranded.REFUSE, now=now,
            reason=f"closed: {reason}" if reason else "the business is closed that day",
        )  # fmt: skip
        return ClosureInfo(closure.id, starts_on, ends_on, reason)


async def delete_closure(db: Database, business_id: int, closure_id: int) -> None:
    async with db.write() as session:
        closure = await session.get(Closure, closure_id)
        if closure is None or closure.business_id != business_id:
            raise NotFound("closure", closure_id)
        await session.delete(closure)


async def add_closure(
    db: Database, business_id: int, starts_on: date, ends_on: date, reason: str = ""
) -> None:
    """Close the whole business for the given local dates (inclusive)."""
    await create_closure(db, business_id, starts_on, ends_on, reason)

"""The numbers a business will not answer: added, listed and removed by its owner.

Numbers are stored in E.164, read in the business's default region, so "+1 (212) 555-0199"
and "212-555-0199" block the same caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import Conflict, NotFound
from booking.models import BlockedNumber
from booking.services.businesses import read_business
from booking.services.phones import normalize_phone

MAX_REASON = 200


@dataclass(frozen=True)
class BlockedInfo:
    id: int
    number: str
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, row: BlockedNumber) -> BlockedInfo:
        return cls(row.id, row.number, row.reason, row.created_at)


async def block(db: Database, business_id: int, number: str, reason: str = "") -> BlockedInfo:
    """Block a caller's number; blocking one already blocked is a conflict naming it."""
    async with db.read() as session:
        business = await read_business(session, business_id)
    e164 = normalize_phone(number, business.default_region, "number")
    try:
        async with db.write() as session:
            if await is_blocked(session, business_id, e164):
                raise Conflict(f"{e164} is already blocked")
            row = BlockedNumber(
                business_id=business_id, number=e164, reason=" ".join(reason.split())[:MAX_REASON]
            )
            session.add(row)
            await session.flush()
            return BlockedInfo.of(row)
    except IntegrityError:  # a concurrent block of the same number won
        raise Conflict(f"{e164} is already blocked") from None


async def list_blocked(db: Database, business_id: int) -> list[BlockedInfo]:
    async with db.read() as session:
        await read_business(session, business_id)
        rows = await session.scalars(
            select(BlockedNumber)
            .where(BlockedNumber.business_id == business_id)
            .order_by(BlockedNumber.id)
        )
        return [BlockedInfo.of(row) for row in rows]


async def unblock(db: Database, business_id: int, blocked_id: int) -> None:
    async with db.write() as session:
        row = await session.get(BlockedNumber, blocked_id)
        if row is None or row.business_id != business_id:
            raise NotFound("blocked number", blocked_id)
        await session.delete(row)


async def is_blocked(session: AsyncSession, business_id: int, e164: str) -> bool:
    found = await session.scalar(
        select(BlockedNumber.id).where(
            BlockedNumber.business_id == business_id, BlockedNumber.number == e164
        )
    )
    return found is not None

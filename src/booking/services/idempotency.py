"""Idempotency keys: the first write under a key is stored with a fingerprint of its request.

The record is inserted first, in the same transaction as the write it guards, so a concurrent
repeat waits on (PostgreSQL) or is serialised behind (SQLite) the first, then replays it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.errors import IdempotencyConflict, InvalidInput
from booking.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def fingerprint(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


async def find(session: AsyncSession, business_id: int, key: str) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.business_id == business_id, IdempotencyRecord.key == key
        )
    )


def replayable(record: IdempotencyRecord, request_fingerprint: str) -> int | None:
    """The stored resource id for a matching repeat; a different request is refused."""
    if record.fingerprint != request_fingerprint:
        raise IdempotencyConflict()
    return record.resource_id


async def claim(
    session: AsyncSession,
    business_id: int,
    key: str,
    request_fingerprint: str,
    customer_id: int | None,
) -> IdempotencyRecord:
    record = IdempotencyRecord(
        business_id=business_id,
        key=key,
        fingerprint=request_fingerprint,
        customer_id=customer_id,
    )
    session.add(record)
    await session.flush()
    return record

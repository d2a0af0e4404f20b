"""Idempotency keys: the first write under a key is stored with a fingerprint of its request.

The record is inserted first, in the same transaction as the write it guards, so a concurrent
repeat waits on (PostgreSQL) or is serialised behind (SQLite) the first, then replays it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
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


@dataclass(frozen=True)
class KeyRecord:
    """What a key's record says: the request it was first used for, and what that made."""

    fingerprint: str
    resource_id: int | None


# Built once: every booking with a key runs these.
_records = cast(Table, IdempotencyRecord.__table__)
_FIND = select(_records.c.fingerprint, _records.c.resource_id).where(
    _records.c.business_id == bindparam("business_id"), _records.c.key == bindparam("key")
)
_CLAIM = insert(_records)
_SETTLE = (
    update(_records)
    .where(
        _records.c.business_id == bindparam("of_business"), _records.c.key == bindparam("of_key")
    )
    .values(resource_id=bindparam("made"))
)


async def find(session: AsyncSession, business_id: int, key: str) -> KeyRecord | None:
    row = (await session.execute(_FIND, {"business_id": business_id, "key": key})).first()
    return KeyRecord(row.fingerprint, row.resource_id) if row else None


def replayable(record: KeyRecord, request_fingerprint: str) -> int | None:
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
) -> None:
    """Insert the key's record; a concurrent first use of the key fails here, on the unique key."""
    await session.execute(
        _CLAIM,
        {
            "business_id": business_id,
            "key": key,
            "fingerprint": request_fingerprint,
            "customer_id": customer_id,
        },
    )


async def settle(session: AsyncSession, business_id: int, key: str, resource_id: int) -> None:
    """Record what the first request under the key made, for its repeats to replay."""
    await session.execute(_SETTLE, {"of_business": business_id, "of_key": key, "made": resource_id})

"""Bookings and schedule changes of one business never miss each other on PostgreSQL.

A closure committed while a booking for that day is being made would strand it: each would
check the other's table before either committed. So a booking (or a move) holds a shared lock
on its business's schedule for its transaction, and a schedule change an exclusive one:
bookings still run side by side, a change waits for the bookings in flight (then sees them in
its stranding check), and a booking that starts during a change waits for it (then sees the
closure). SQLite needs nothing: its writers already take turns (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The first key of PostgreSQL's two-key advisory locks: which kind of thing is locked.
SCHEDULE_LOCK_CLASS = 7301

_SHARED = text("SELECT pg_advisory_xact_lock_shared(:kind, :business_id)")
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:kind, :business_id)")


async def hold_schedule(session: AsyncSession, business_id: int, *, changing: bool) -> None:
    """Take the business's schedule lock until the transaction ends (PostgreSQL only)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    statement = _EXCLUSIVE if changing else _SHARED
    await session.execute(statement, {"kind": SCHEDULE_LOCK_CLASS, "business_id": business_id})

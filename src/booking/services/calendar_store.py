"""Where a sync of a staff calendar lands: its busy intervals replaced in one transaction on
success (nothing half-written), or, on failure, the last good ones kept and the error, the
failure count and a backed-off next attempt recorded. Also the lease that lets one process of
several take a connection for one sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import CursorResult

from booking.db import Database
from booking.models import BusyInterval, CalendarConnection, Staff
from booking.models.calendar import CalendarKind
from booking.services.businesses import read_business
from booking.services.schedule import Span

LONGEST_BACKOFF = timedelta(hours=1)


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after `failures` failures in a row: the interval, doubling, at most an hour
    (or the interval, when that is longer)."""
    longest = max(interval, LONGEST_BACKOFF)
    wait: timedelta = interval * 2 ** min(max(failures - 1, 0), 16)
    return min(wait, longest)


@dataclass(frozen=True)
class Source:
    """What one sync of one connection needs, read when its lease was taken."""

    id: int
    staff_id: int
    kind: CalendarKind
    url: str
    username: str | None
    password: str | None
    read_calendars: list[str]
    sync_state: dict[str, Any]
    failures: int
    timezone: str
    horizon_days: int


async def due(db: Database, now: datetime, limit: int = 50) -> list[int]:
    """Active connections of active staff whose next sync is due and that no process holds,
    oldest first (a staff member who has left is offered to no one: their calendars wait)."""
    async with db.read() as session:
        rows = await session.scalars(
            select(CalendarConnection.id)
            .join(Staff, Staff.id == CalendarConnection.staff_id)
            .where(
                Staff.active.is_(True),
                CalendarConnection.active.is_(True),
                CalendarConnection.next_sync_at <= now,
                or_(
                    CalendarConnection.lease_until.is_(None), CalendarConnection.lease_until <= now
                ),
            )
            .order_by(CalendarConnection.next_sync_at, CalendarConnection.id)
            .limit(limit)
        )
        return list(rows)


async def take_lease(
    db: Database, connection_id: int, owner: str, now: datetime, seconds: float, *, due_only: bool
) -> Source | None:
    """Take a connection for one sync (`due_only`: only if its sync is due). Of processes
    trying at once, one gets it; a dead process's lease runs out after `seconds`."""
    table = CalendarConnection
    conditions = [
        table.id == connection_id,
        table.active.is_(True),
        or_(table.lease_until.is_(None), table.lease_until <= now),
    ]
    if due_only:
        conditions.append(table.next_sync_at <= now)
    async with db.write() as session:
        taken = await session.execute(
            update(table)
            .where(*conditions)
            .values(
                lease_owner=owner,
                lease_until=now + timedelta(seconds=seconds),
                last_attempt_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], taken).rowcount != 1:
            return None
        row = await session.get(CalendarConnection, connection_id)
        assert row is not None
        business = await read_business(session, row.business_id)
        return Source(
            id=row.id,
            staff_id=row.staff_id,
            kind=CalendarKind(row.kind),
            url=row.url,
            username=row.username,
            password=row.password,
            read_calendars=list(row.read_calendars or []),
            sync_state=dict(row.sync_state or {}),
            failures=row.failures,
            timezone=business.timezone,
            horizon_days=business.horizon_days,
        )


async def _held(session: Any, source: Source, owner: str) -> CalendarConnection | None:
    """The connection, if this sync still holds it (it was not deleted or changed meanwhile:
    a change drops the lease, and this sync's result is then for an old address)."""
    row = await session.get(CalendarConnection, source.id, with_for_update=True)
    if row is None or row.lease_owner != owner:
        return None
    return cast(CalendarConnection, row)


async def store_busy(
    db: Database,
    source: Source,
    owner: str,
    *,
    busy: list[Span] | None,
    events_seen: int | None,
    state: dict[str, Any],
    now: datetime,
    interval: timedelta,
) -> bool:
    """A successful sync: the busy set replaced as a whole (`busy` None: unchanged, kept), the
    status updated and the lease given back. False if the lease was lost meanwhile."""
    async with db.write() as session:
        row = await _held(session, source, owner)
        if row is None:
            return False
        if busy is not None:
            await session.execute(delete(BusyInterval).where(BusyInterval.connection_id == row.id))
            if busy:
                await session.execute(
                    insert(BusyInterval),
                    [
                        {"connection_id": row.id, "staff_id": row.staff_id,
                         "starts_at": start, "ends_at": end}
                        for start, end in busy
                    ],
                )  # fmt: skip
            row.busy_seen = len(busy)
        if events_seen is not None:
            row.events_seen = events_seen
        row.sync_state = state
        row.last_synced_at = now
        row.last_error = None
        row.failures = 0
        row.next_sync_at = now + interval
        row.lease_owner = row.lease_until = None
        return True


async def store_failure(
    db: Database, source: Source, owner: str, error: str, now: datetime, interval: timedelta
) -> bool:
    """A failed sync: the last good busy set stays; the error is recorded and the next
    attempt backed off. False if the lease was lost meanwhile."""
    async with db.write() as session:
        row = await _held(session, source, owner)
        if row is None:
            return False
        row.failures += 1
        row.last_error = error[:500]
        row.next_sync_at = now + backoff(interval, row.failures)
        row.lease_owner = row.lease_until = None
        return True

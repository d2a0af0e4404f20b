"""A staff member's calendar connections: created, read, changed and removed by an admin, each
checked whole (the address, and the fields its kind needs) before it is stored. The user name
and password are stored for the sync and never handed back: `has_password` says one is set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import FieldChecks, InvalidInput, NotFound
from booking.models import BusyInterval, CalendarConnection
from booking.models.calendar import CalendarKind
from booking.services.calendar_urls import check_to_save, normalise, shown_feed_url
from booking.services.outbound_url import check_url_syntax
from booking.services.staff import load_staff

MAX_READ_CALENDARS = 20
# Changing any of these makes what was read before meaningless: the busy set is read afresh.
_SOURCE_FIELDS = frozenset({"kind", "url", "username", "password", "read_calendars"})
_FIELDS = _SOURCE_FIELDS | {"name", "write_calendar", "active"}


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection as an admin sees it: no user name, no password, and of an ICS address only
    its host and file name (the address is a secret: `shown_feed_url`)."""

    id: int
    staff_id: int
    kind: CalendarKind
    name: str
    url: str
    has_password: bool
    read_calendars: list[str]
    write_calendar: str | None
    active: bool
    last_attempt_at: datetime | None
    last_synced_at: datetime | None
    last_error: str | None
    failures: int
    events_seen: int
    busy_seen: int
    next_sync_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, row: CalendarConnection) -> ConnectionInfo:
        return cls(
            id=row.id,
            staff_id=row.staff_id,
            kind=CalendarKind(row.kind),
            name=row.name,
            url=shown_feed_url(row.url) if row.kind == CalendarKind.ICS else row.url,
            has_password=bool(row.password),
            read_calendars=list(row.read_calendars or []),
            write_calendar=row.write_calendar,
            active=row.active,
            last_attempt_at=row.last_attempt_at,
            last_synced_at=row.last_synced_at,
            last_error=row.last_error,
            failures=row.failures,
            events_seen=row.events_seen,
            busy_seen=row.busy_seen,
            next_sync_at=row.next_sync_at,
            created_at=row.created_at,
        )


def _check(row: CalendarConnection, checks: FieldChecks) -> None:
    """The connection as it would be stored, checked whole: each problem names its field, and
    every problem is recorded in `checks` (the caller raises them together)."""
    with checks.field():
        row.url = normalise(row.url, "url")
    if row.kind == CalendarKind.CALDAV:
        if not row.username:
            checks.refuse("username", "a CalDAV account needs the user name")
        if not row.password:
            checks.refuse("password", "a CalDAV account needs the (app) password")
    else:
        if row.write_calendar:
            checks.refuse("write_calendar", "only a CalDAV calendar can take bookings")
        if row.read_calendars:
            checks.refuse("read_calendars", "an ICS address is one calendar: leave it empty")
        if bool(row.username) != bool(row.password):
            missing = "password" if row.username else "username"
            checks.refuse(missing, "an ICS feed with a login needs both user name and password")
    if len(row.read_calendars or []) > MAX_READ_CALENDARS:
        checks.refuse("read_calendars", f"at most {MAX_READ_CALENDARS} calendars")


async def _load(
    session: AsyncSession, business_id: int, staff_id: int, connection_id: int
) -> CalendarConnection:
    row = await session.get(CalendarConnection, connection_id)
    if row is None or row.business_id != business_id or row.staff_id != staff_id:
        await load_staff(session, business_id, staff_id)  # an unknown staff member says so
        raise NotFound("calendar connection", connection_id)
    return row


async def list_connections(db: Database, business_id: int, staff_id: int) -> list[ConnectionInfo]:
    async with db.read() as session:
        await load_staff(session, business_id, staff_id)
        rows = await session.scalars(
            select(CalendarConnection)
            .where(
                CalendarConnection.business_id == business_id,
                CalendarConnection.staff_id == staff_id,
            )
            .order_by(CalendarConnection.id)
        )
        return [ConnectionInfo.of(row) for row in rows]


async def get_connection(
    db: Database, business_id: int, staff_id: int, connection_id: int
) -> ConnectionInfo:
    async with db.read() as session:
        return ConnectionInfo.of(await _load(session, business_id, staff_id, connection_id))


async def create_connection(
    db: Database,
    business_id: int,
    staff_id: int,
    *,
    now: datetime,
    allow_private: bool = False,
    **fields: Any,
) -> ConnectionInfo:
    """A new connection, due for its first sync at once; its address must be one the
    outbound guard lets the product connect to."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    checks = FieldChecks()
    # Resolved before the write transaction: a slow DNS answer holds up no other writer.
    with checks.field():
        await check_to_save(normalise(fields["url"]), allow_private=allow_private)
    with checks.field():
        await _check_write_calendar(fields.get("write_calendar"), allow_private)
    async with db.write() as session:
        await load_staff(session, business_id, staff_id)
        row = CalendarConnection(
            business_id=business_id,
            staff_id=staff_id,
            kind=CalendarKind(fields["kind"]),
            name=fields.get("name") or "",
            url=fields["url"],
            username=fields.get("username") or None,
            password=fields.get("password") or None,
            read_calendars=list(fields.get("read_calendars") or []),
            write_calendar=fields.get("write_calendar") or None,
            active=fields.get("active", True),
            sync_state={},
            next_sync_at=now,
            created_at=now,
        )
        _check(row, checks)
        checks.raise_any()
        session.add(row)
        await session.flush()
        return ConnectionInfo.of(row)


async def _check_write_calendar(url: str | None, allow_private: bool) -> None:
    """Bookings are written to this address: a full http(s) URL of a calendar that passes the
    outbound guard, like the server's own."""
    if url:
        check_url_syntax(url, "write_calendar")
        await check_to_save(url, allow_private=allow_private, field="write_calendar")


async def update_connection(
    db: Database,
    business_id: int,
    staff_id: int,
    connection_id: int,
    *,
    now: datetime,
    allow_private: bool = False,
    **changes: Any,
) -> ConnectionInfo:
    """Change some fields; a new source (address, kind, login, calendars) or a reactivation is
    synced at once, and a deactivated connection stops blocking times."""
    checks = FieldChecks()
    with checks.field():
        if changes.get("url") is not None:
            await check_to_save(normalise(changes["url"]), allow_private=allow_private)
    with checks.field():
        await _check_write_calendar(changes.get("write_calendar"), allow_private)
    async with db.write() as session:
        row = await _load(session, business_id, staff_id, connection_id)
        for name, value in changes.items():
            with checks.field():
                if name not in _FIELDS:
                    raise InvalidInput(name, "unknown field")
                if name in ("kind", "url") and value is None:
                    raise InvalidInput(name, "must not be empty")
                if name == "kind":
                    value = CalendarKind(value)
                elif name in ("username", "password", "write_calendar"):
                    value = value or None
                elif name == "read_calendars":
                    value = list(value or [])
                elif name == "name":
                    value = value or ""
                elif name == "active" and value is None:
                    raise InvalidInput("active", "must be true or false")
                setattr(row, name, value)
        _check(row, checks)
        checks.raise_any()
        if _SOURCE_FIELDS & set(changes) or changes.get("active") is True:
            row.sync_state = {}
            row.next_sync_at = now
            row.lease_owner = row.lease_until = None  # a sync under way is for the old source
        if row.active is False:
            await session.execute(delete(BusyInterval).where(BusyInterval.connection_id == row.id))
            row.busy_seen = 0
        await session.flush()
        return ConnectionInfo.of(row)


async def delete_connection(
    db: Database, business_id: int, staff_id: int, connection_id: int
) -> None:
    """Remove the connection and the busy times it brought."""
    async with db.write() as session:
        row = await _load(session, business_id, staff_id, connection_id)
        await session.execute(delete(BusyInterval).where(BusyInterval.connection_id == row.id))
        await session.delete(row)

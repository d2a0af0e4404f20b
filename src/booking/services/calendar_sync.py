"""Syncing staff calendars: each due connection is leased by one process, read (an ICS feed or
a CalDAV account), expanded into busy intervals over the booking horizon and stored; a failure
keeps the last good intervals, is recorded on the connection and counted in `/metrics`, and is
retried after a backoff. Nothing here stops the worker, the phone or the API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from booking import metrics
from booking.db import Database
from booking.errors import Conflict, InvalidInput
from booking.logging import get_logger
from booking.models.base import utcnow
from booking.models.calendar import CalendarKind
from booking.services import calendar_caldav, calendar_connections, calendar_ics, calendar_store
from booking.services.calendar_busy import NotICalendar, busy_intervals
from booking.services.calendar_ics import FetchFailed
from booking.services.calendar_store import Source

if TYPE_CHECKING:
    import httpx

    from booking.config import Settings

log = get_logger(__name__)

Clock = Callable[[], datetime]

# Beyond the fetch's own deadline: expanding, storing, a slow database.
LEASE_MARGIN_SECONDS = 60.0
# Busy times are kept from a day back (a booking in progress can still be checked) to a day
# past the horizon (a long event that starts there can reach into it).
WINDOW_MARGIN = timedelta(days=1)
# An unchanged calendar (304, same ctag) is not read again, but the horizon moves on: once the
# busy times stored stop this far short of it, the calendar is read and expanded afresh, so a
# repeating event keeps appearing at the far end of the horizon.
REEXPAND_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class SyncSettings:
    """How often each calendar is read, how large it may be, how long a read may take."""

    interval: timedelta = timedelta(minutes=5)
    max_bytes: int = 5 * 1024 * 1024
    timeout_seconds: float = 20.0
    concurrency: int = 4
    allow_private: bool = False  # OUTBOUND_ALLOW_PRIVATE: a calendar server on the LAN

    @classmethod
    def of(cls, settings: Settings) -> SyncSettings:
        return cls(
            interval=timedelta(minutes=settings.calendar_sync_minutes),
            max_bytes=settings.calendar_max_bytes,
            timeout_seconds=settings.calendar_fetch_timeout_seconds,
            allow_private=settings.outbound_allow_private,
        )

    @property
    def lease_seconds(self) -> float:
        return self.timeout_seconds + LEASE_MARGIN_SECONDS


def http_client() -> httpx.AsyncClient:
    """The client feeds are fetched with: redirects followed by hand, each one checked."""
    import httpx

    return httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": "booking-calendar"})


class CalendarSync:
    """Reads due calendars; one per process, with its own lease owner name."""

    def __init__(
        self,
        db: Database,
        client: httpx.AsyncClient,
        settings: SyncSettings | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._db, self._client, self._clock = db, client, clock
        self.settings = settings or SyncSettings()
        self.owner = uuid.uuid4().hex[:16]

    async def run_due(self) -> int:
        """Sync every due connection no other process holds, a few at a time; how many were
        attempted."""
        ids = await calendar_store.due(self._db, self._clock())
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(connection_id: int) -> bool:
            async with gate:
                return await self.sync(connection_id, due_only=True) is not None

        results = await asyncio.gather(*(one(i) for i in ids))
        return sum(results)

    async def sync(self, connection_id: int, *, due_only: bool) -> bool | None:
        """Lease and sync one connection: True on success, False on a recorded failure, None
        if another process holds it (or, with `due_only`, it is not due)."""
        now = self._clock()
        source = await calendar_store.take_lease(
            self._db, connection_id, self.owner, now, self.settings.lease_seconds,
            due_only=due_only,
        )  # fmt: skip
        if source is None:
            return None
        try:
            return await self._sync(source)
        except Exception as exc:
            # The database away: the lease runs out and the connection is tried again then.
            # Only the error's type is logged: messages of HTTP libraries carry the address,
            # and a feed's address holds its secret.
            log.warning(
                "calendar sync failed unexpectedly", connection=source.id, error=type(exc).__name__
            )
            metrics.CALENDAR_SYNCS.labels(kind=source.kind.value, outcome="failed").inc()
            return False

    async def _sync(self, source: Source) -> bool:
        settings = self.settings
        start = self._clock()
        window = (
            start - WINDOW_MARGIN,
            start + timedelta(days=source.horizon_days) + WINDOW_MARGIN,
        )
        error: str | None = None
        known = dict(source.sync_state)
        until = known.pop("expanded_until", None)
        if until is None or datetime.fromisoformat(until) < window[1] - REEXPAND_AFTER:
            known = {}  # no conditional request: read it whole
        try:
            texts, state = await self._read(source, known, window)
            if texts is None:
                expanded, state = None, source.sync_state
            else:
                zone = ZoneInfo(source.timezone)
                expanded = await asyncio.to_thread(busy_intervals, texts, zone, window)
                state = {**state, "expanded_until": window[1].isoformat()}
        except (FetchFailed, NotICalendar) as exc:
            error = str(exc)
        except Exception as exc:  # a calendar the libraries choke on: said, and retried later
            error = f"the calendar could not be read ({type(exc).__name__})"
        if error is not None:
            await calendar_store.store_failure(
                self._db, source, self.owner, error, self._clock(), settings.interval
            )
            metrics.CALENDAR_SYNCS.labels(kind=source.kind.value, outcome="failed").inc()
            log.warning("calendar sync failed", connection=source.id, error=error,
                        failures=source.failures + 1)  # fmt: skip
            return False
        await calendar_store.store_busy(
            self._db,
            source,
            self.owner,
            busy=expanded.busy if expanded is not None else None,
            events_seen=expanded.events_seen if expanded is not None else None,
            state=state,
            now=self._clock(),
            interval=settings.interval,
        )
        outcome = "unchanged" if expanded is None else "changed"
        metrics.CALENDAR_SYNCS.labels(kind=source.kind.value, outcome=outcome).inc()
        log.info("calendar synced", connection=source.id, outcome=outcome,
                 busy=None if expanded is None else len(expanded.busy))  # fmt: skip
        return True

    async def _read(
        self, source: Source, known: dict[str, Any], window: tuple[datetime, datetime]
    ) -> tuple[list[bytes] | None, dict[str, Any]]:
        settings = self.settings
        if source.kind == CalendarKind.CALDAV:
            account = calendar_caldav.Account(
                source.url, source.username or "", source.password or "", source.read_calendars
            )
            read = await calendar_caldav.read(
                account, known, window,
                timeout=settings.timeout_seconds, max_bytes=settings.max_bytes,
                allow_private=settings.allow_private,
            )  # fmt: skip
            return read.objects, read.state
        auth = (source.username, source.password) if source.username and source.password else None
        fetched = await calendar_ics.fetch(
            self._client, source.url, known,
            max_bytes=settings.max_bytes, timeout=settings.timeout_seconds, auth=auth,
            allow_private=settings.allow_private,
        )  # fmt: skip
        return (None if fetched.body is None else [fetched.body]), fetched.state


async def sync_now(
    db: Database,
    business_id: int,
    staff_id: int,
    connection_id: int,
    settings: SyncSettings,
    *,
    clock: Clock = utcnow,
) -> calendar_connections.ConnectionInfo:
    """Sync one connection at once (an admin asked), due or not; its status afterwards."""
    found = await calendar_connections.get_connection(db, business_id, staff_id, connection_id)
    if not found.active:
        raise InvalidInput("active", "this calendar connection is inactive; activate it first")
    # A worker may be reading it this moment: wait for that read to end rather than refuse.
    patience = settings.lease_seconds
    async with http_client() as client:
        syncer = CalendarSync(db, client, settings, clock=clock)
        synced = await syncer.sync(connection_id, due_only=False)
        while synced is None and patience > 0:
            await asyncio.sleep(0.25)
            patience -= 0.25
            synced = await syncer.sync(connection_id, due_only=False)
    if synced is None:
        raise Conflict("this calendar is being synced right now; ask again in a minute")
    return await calendar_connections.get_connection(db, business_id, staff_id, connection_id)


async def sync_forever(
    db: Database, settings: SyncSettings, *, poll_seconds: float = 15.0, clock: Clock = utcnow
) -> None:
    """The worker: every `poll_seconds`, sync the connections that are due. Of several
    processes doing this, each connection is leased by one per interval; a round that fails
    (the database away) is tried again at the next poll."""
    async with http_client() as client:
        syncer = CalendarSync(db, client, settings, clock=clock)
        while True:
            try:
                await syncer.run_due()
            except Exception:
                log.warning("calendar sync round failed; will retry")
            await asyncio.sleep(poll_seconds)

"""The calendar channel: a `calendar` delivery writes one appointment, as it is when sent, to a
staff member's CalDAV calendar with plain WebDAV (PUT the event, or DELETE it) and basic auth,
after the calendar's URL passes the outbound guard, to the address the guard checked.

A 404 to a DELETE is success (the event is not there); 401, 403 and a 404 or 409 to a PUT (no
such calendar) fail the delivery at once; anything else is retried by the outbox. When the
appointment changed while it was being written, the delivery is retried, so the last write
always carries the newest state whatever order the outbox sent them in.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING

from booking import metrics
from booking.db import Database
from booking.logging import get_logger
from booking.services.calendar_writes import Login, NothingToWrite, Write, current_write
from booking.services.delivery import Due, Outcome
from booking.services.outbound_url import HostNotFound, UnsafeUrl, checked_target, pinned
from booking.services.webhook_channel import host_of, status_only

if TYPE_CHECKING:
    import httpx  # imported when delivering: the API does not need it to start

log = get_logger(__name__)

_REFUSED = {
    401: "the calendar server refused the user name or password (401)",
    403: "the calendar server does not let this account write there (403)",
}
# To a PUT: WebDAV answers 409 when the collection the event goes into is missing.
_NO_CALENDAR = {
    404: "the calendar to write bookings to does not exist (404)",
    409: "the calendar server refused the event (409): the calendar to write bookings to "
    "does not exist, or holds this event under another name",
}


class CalendarChannel:
    """Calendar deliveries over the outbox's shared HTTP client."""

    def __init__(self, db: Database, client: httpx.AsyncClient, *, allow_private: bool = False):
        self._db, self._client, self._allow_private = db, client, allow_private

    def host(self, due: Due) -> str:
        return host_of(str(json.loads(due.body).get("calendar") or ""))

    async def send(self, due: Due, deadline_seconds: float, attempted_at: datetime) -> Outcome:
        outcome = await self._send(due, deadline_seconds, attempted_at)
        if outcome.error is None:
            metrics.CALENDAR_WRITES.labels(outcome="written").inc()
        else:
            kind = "failed" if outcome.final else "retried"
            metrics.CALENDAR_WRITES.labels(outcome=kind).inc()
            # Neither the calendar's address nor the login: the connection's id says which.
            payload = json.loads(due.body)
            log.warning(
                "calendar write " + ("failed" if outcome.final else "not done; will retry"),
                delivery=due.id,
                connection=payload.get("connection_id"),
                appointment=payload.get("appointment_id"),
                error=outcome.error,
            )
        return outcome

    async def _send(self, due: Due, deadline_seconds: float, attempted_at: datetime) -> Outcome:
        started = time.perf_counter()
        payload = json.loads(due.body)
        connection_id, appointment_id = payload["connection_id"], payload["appointment_id"]
        try:
            async with asyncio.timeout(deadline_seconds):
                async with self._db.read() as session:
                    login, write = await current_write(
                        session, connection_id, appointment_id, attempted_at
                    )
                if write is None:
                    return _outcome(started, None, None)
                outcome = await self._write(
                    login, write, started, only_if_present=bool(payload.get("only_if_present"))
                )
                if outcome.error is None and await self._changed(
                    connection_id, appointment_id, attempted_at, write
                ):
                    return _outcome(
                        started,
                        outcome.status_code,
                        "the appointment changed while it was written; writing it again",
                    )
                return outcome
        except NothingToWrite as exc:
            return _outcome(started, None, exc.message, final=True)
        except TimeoutError:
            return _outcome(started, None, f"no answer within {deadline_seconds:g} s")
        except Exception as exc:  # a send never raises: the outbox records and retries it
            return _outcome(started, None, f"{type(exc).__name__}: {exc}"[:500])

    async def _changed(
        self, connection_id: int, appointment_id: int, now: datetime, written: Write
    ) -> bool:
        """Whether what the calendar should hold differs from what was just written."""
        try:
            async with self._db.read() as session:
                _, again = await current_write(session, connection_id, appointment_id, now)
        except NothingToWrite:
            return False
        return again is not None and again.key != written.key

    async def _write(
        self, login: Login, write: Write, started: float, *, only_if_present: bool = False
    ) -> Outcome:
        """PUT or DELETE the event; `only_if_present`: a PUT that changes an event already
        there, or nothing (If-Match: *, 412 when there is none)."""
        import httpx

        try:
            target = await checked_target(
                write.href, allow_private=self._allow_private, field="write_calendar"
            )
        except HostNotFound as exc:
            return _outcome(started, None, exc.message)
        except UnsafeUrl as exc:
            return _outcome(started, None, exc.message, final=True)
        url, host_header, extensions = pinned(target)
        auth: httpx.BasicAuth | httpx._client.UseClientDefault = (
            httpx.BasicAuth(login.username, login.password or "")
            if login.username
            else httpx.USE_CLIENT_DEFAULT
        )
        if write.ics is None:
            request = self._client.build_request(
                "DELETE", url, headers=host_header, extensions=extensions
            )
        else:
            request = self._client.build_request(
                "PUT",
                url,
                content=write.ics,
                headers={
                    "Content-Type": "text/calendar; charset=utf-8",
                    **({"If-Match": "*"} if only_if_present else {}),
                    **host_header,
                },
                extensions=extensions,
            )
        try:
            status = await status_only(self._client, request, auth=auth)
        except httpx.HTTPError as exc:
            return _outcome(started, None, f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= status < 300 or (write.ics is None and status in (404, 410)):
            return _outcome(started, status, None)
        if only_if_present and status == 412:  # no such event: nothing to rewrite
            return _outcome(started, status, None)
        if status in _REFUSED:
            return _outcome(started, status, _REFUSED[status], final=True)
        if status in _NO_CALENDAR:
            return _outcome(started, status, _NO_CALENDAR[status], final=True)
        return _outcome(started, status, f"the calendar server answered {status}")


def _outcome(
    started: float, status: int | None, error: str | None, *, final: bool = False
) -> Outcome:
    return Outcome(status, error, (time.perf_counter() - started) * 1000, final=final)

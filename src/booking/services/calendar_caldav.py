"""Reading a CalDAV account (Nextcloud, Fastmail, iCloud, Radicale, Baïkal) with the `caldav`
library: the calendars chosen (by URL or display name; none chosen: all of them), each event
series touching the window as iCalendar text. A calendar whose ctag (or, failing that, its
sync-token) is unchanged since the last read is not read again.

`caldav` is synchronous: `read` runs it in a worker thread under a deadline, which the thread
keeps too, over the guarded and capped HTTP of `caldav_transport`. Errors are told without the
address or the credentials.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from booking.errors import InvalidInput
from booking.services.caldav_transport import Check, guarded, too_slow
from booking.services.calendar_ics import FetchFailed
from booking.services.calendar_urls import check_before_connecting
from booking.services.outbound_url import checked_target

_CTAG = "{http://calendarserver.org/ns/}getctag"
_SYNC_TOKEN = "{DAV:}sync-token"


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str
    read_calendars: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Read:
    """The calendars' event texts (None: nothing changed since `state`) and the state to keep."""

    objects: list[bytes] | None
    state: dict[str, Any]


def _chosen(calendars: list[Any], wanted: list[str]) -> list[Any]:
    if not wanted:
        return calendars
    chosen = []
    for name in wanted:
        matches = [
            c
            for c in calendars
            if name in (str(c.url), c.url.path) or name == (c.get_display_name() or "")
        ]
        if not matches:
            raise FetchFailed(f"read_calendars: the account has no calendar {name!r}")
        chosen += [c for c in matches if c not in chosen]
    return chosen


def _tag(calendar: Any) -> str | None:
    from caldav.elements.base import BaseElement

    class _Prop(BaseElement):
        pass

    for tag in (_CTAG, _SYNC_TOKEN):
        _Prop.tag = tag
        try:
            value = calendar.get_property(_Prop())
        except Exception:  # a server without the property may answer with an error
            value = None
        if value:
            return f"{tag}={value}"
    return None


def _read_blocking(
    account: Account,
    state: dict[str, Any],
    window: tuple[datetime, datetime],
    timeout: float,
    max_bytes: int,
    allow_private: bool,
    check: Check = checked_target,
) -> Read:
    """The read itself, in a worker thread; `check` is the outbound guard (a test may stand
    in for DNS)."""
    import caldav

    deadline = time.monotonic() + timeout
    client = caldav.DAVClient(
        url=account.url,
        username=account.username,
        password=account.password,
        timeout=max(1, round(timeout)),
    )
    with client, guarded(
        client, allow_private, deadline=deadline, timeout=timeout, max_bytes=max_bytes,
        check=check,
    ):  # fmt: skip
        principal = client.principal()  # type: ignore[no-untyped-call]
        calendars = _chosen(principal.calendars(), account.read_calendars)
        tags = {str(c.url): _tag(c) for c in calendars}
        if all(tags.values()) and tags == state.get("calendars"):
            return Read(None, state)
        objects: list[bytes] = []
        for calendar in calendars:
            for found in calendar.search(event=True, start=window[0], end=window[1]):
                objects.append(found.data.encode() if isinstance(found.data, str) else found.data)
            if sum(len(o) for o in objects) > max_bytes:
                raise FetchFailed(f"the calendars hold more than the limit of {max_bytes} bytes")
        return Read(objects, {"calendars": tags})


def _explain(exc: Exception) -> str:
    from caldav.lib import error

    if isinstance(exc, error.AuthorizationError):
        return "the server refused the user name or password"
    if isinstance(exc, error.NotFoundError):
        return "the server has no calendars at that address (404)"
    # An answer that is not WebDAV: a refused PROPFIND, or XML that does not parse (the
    # library's XML parser raises a SyntaxError subclass).
    if isinstance(exc, error.PropfindError | SyntaxError):
        return (
            "the address did not answer as a CalDAV server: check that it is the server's "
            "CalDAV address (Nextcloud: https://your-host/remote.php/dav)"
        )
    if isinstance(exc, error.DAVError):
        return "the CalDAV server refused a request: check the address and the account's access"
    if isinstance(exc, OSError):  # the HTTP library's connection errors are OSErrors
        return "could not reach the CalDAV server (it refused the connection or is not answering)"
    return "could not read the CalDAV account: check that the address is the server's CalDAV one"


async def read(
    account: Account,
    state: dict[str, Any],
    window: tuple[datetime, datetime],
    *,
    timeout: float,  # noqa: ASYNC109  (passed on to the thread's own requests)
    max_bytes: int,
    allow_private: bool,
) -> Read:
    """The account's chosen calendars within `timeout` seconds, in a worker thread."""
    try:
        await check_before_connecting(account.url, allow_private=allow_private)
    except InvalidInput as exc:
        raise FetchFailed(f"the address is not allowed: {exc.reason}") from None
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.to_thread(
                _read_blocking, account, state, window, timeout, max_bytes, allow_private
            )
    except TimeoutError:
        raise too_slow(timeout) from None
    except FetchFailed:
        raise
    except Exception as exc:
        raise FetchFailed(_explain(exc)) from None

"""The HTTP under the CalDAV library (requests): every request it makes, redirects and the
principal's and calendars' URLs included, passes the outbound guard in the worker thread and
goes to the very address the guard checked (not to what a second DNS answer might say, as for
ICS feeds and webhooks); each answer is read within what is left of the read's deadline and
up to the size cap, decoded. The library alone would read any size for as long as bytes keep
coming, and its thread would go on after the read was given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from booking.errors import InvalidInput
from booking.services.calendar_ics import FetchFailed
from booking.services.outbound_url import Target, pinned

Check = Callable[..., Coroutine[Any, Any, Target]]


NOT_CALDAV = (
    "the address did not answer as a CalDAV server (it answered with a web page): check that "
    "it is the server's CalDAV address (Nextcloud: https://your-host/remote.php/dav)"
)


def too_slow(timeout: float) -> FetchFailed:
    return FetchFailed(f"no complete answer within {timeout:g} seconds")


class _Sockets:
    """The sockets one read opened, shut all at once at its deadline: whatever a server drips
    (the body, or the headers a line at a time), the worker thread stops reading then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._shut = False

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._open.append(sock)
            if self._shut:
                self._shut_one(sock)

    def shut_all(self) -> None:
        with self._lock:
            self._shut = True
            for sock in self._open:
                self._shut_one(sock)

    @staticmethod
    def _shut_one(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # closed meanwhile
            sock.shutdown(socket.SHUT_RDWR)


def _read_body(response: Any, max_bytes: int) -> bytes:
    """The decoded body, at most `max_bytes` (a gzip bomb is cut off by what it decodes to)."""
    body = bytearray()
    try:
        for chunk in response.raw.stream(64 * 1024, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise FetchFailed(f"an answer of the server is larger than {max_bytes} bytes")
    except Exception:
        response.close()
        raise
    return bytes(body)


def _is_web_page(response: Any) -> bool:
    kind = str(response.headers.get("Content-Type", "")).lower()
    head = bytes(response._content[:64]).lstrip().lower()
    return kind.startswith("text/html") or head.startswith((b"<!doctype html", b"<html"))


@contextlib.contextmanager
def guarded(
    client: Any,
    allow_private: bool,
    *,
    deadline: float,
    timeout: float,
    max_bytes: int,
    check: Check,
) -> Iterator[None]:
    """While open, the DAVClient's requests go through the adapter below (http and https),
    and every socket they open is shut at `deadline`."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    sockets = _Sockets()

    class Plain(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class Secure(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class PlainPool(HTTPConnectionPool):
        ConnectionCls = Plain

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = Secure

    class Checked(HTTPAdapter):
        pin: Any = None  # the address checked for the request being sent

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": PlainPool, "https": SecurePool}

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            left = deadline - time.monotonic()
            if left <= 0:
                raise too_slow(timeout)
            try:
                target = asyncio.run(check(str(request.url), allow_private=allow_private))
            except InvalidInput as exc:
                raise FetchFailed(f"the address is not allowed: {exc.reason}") from None
            _, host_header, _ = pinned(target)
            self.pin = target.addresses[0] if target.addresses else None
            request.headers.pop("Host", None)  # a redirect's copy of the last one's
            request.headers.update(host_header)
            kwargs["stream"] = True
            kwargs["timeout"] = min(left, timeout)
            try:
                response = super().send(request, *args, **kwargs)
                response._content = _read_body(response, max_bytes)
            except FetchFailed:
                raise
            except Exception:
                if time.monotonic() >= deadline:
                    raise too_slow(timeout) from None
                raise
            response._content_consumed = True
            if request.method in ("PROPFIND", "REPORT") and _is_web_page(response):
                # Said here: the library would log the whole page as a critical error.
                raise FetchFailed(NOT_CALDAV)
            return response

        def build_connection_pool_key_attributes(
            self, request: Any, verify: Any, cert: Any = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            """Connect to the checked address; TLS still names and verifies the host."""
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(
                request, verify, cert
            )
            if self.pin is not None:
                hostname = host_params["host"]
                host_params["host"] = str(self.pin)
                if host_params["scheme"] == "https":
                    pool_kwargs["server_hostname"] = hostname
                    pool_kwargs["assert_hostname"] = hostname
            return host_params, pool_kwargs

    for scheme in ("http://", "https://"):
        client.session.mount(scheme, Checked())
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), sockets.shut_all)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()

"""One log line per HTTP request: its request id, method, route template, status and latency.

The route is the path template (`/api/customers/{customer_id:int}`), never the raw path, and
the query string is left out: neither ids nor phone numbers reach the log this way."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from time import perf_counter

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from booking.logging import get_logger

log = get_logger("booking.http")

REQUEST_ID_HEADER = "x-request-id"
# A client's own id is kept only when it is plainly an id (no room for personal data).
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_of(scope: HTTPScope) -> str:
    """The client's `X-Request-ID` when it looks like one, else a new one."""
    for name, value in scope.get("headers", []):
        if name.lower() == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            if _CLIENT_ID.match(text):
                return text
    return uuid.uuid4().hex


class RequestLog:
    """Wraps the app's whole ASGI handler, outside routing and error handling, so unknown
    routes and failures are logged too; every line logged meanwhile carries the request id."""

    def __init__(self, app: ASGIApp, clock: Callable[[], float] = perf_counter) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self._logged(scope, receive, send)

    async def _logged(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        request_id = request_id_of(scope)
        status = 500  # if nothing is sent, the client sees the connection fail

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        started = self.clock()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info(
                    "http request",
                    request_id=request_id,
                    method=scope["method"],
                    route=scope.get("path_template") or None,
                    status=status,
                    duration_ms=round((self.clock() - started) * 1000, 1),
                )

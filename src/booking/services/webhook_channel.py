"""The webhook channel: a delivery is POSTed to its subscription's URL, signed with its secret,
after the URL passes the outbound guard again, to the very address the guard checked."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from booking.services.delivery import Due, Outcome
from booking.services.outbound_url import HostNotFound, UnsafeUrl, checked_target, pinned
from booking.services.webhooks import SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    import httpx  # imported when delivering: the API does not need it to start


async def status_only(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth | httpx._client.UseClientDefault | None = None,
) -> int:
    """Send the request and answer its status, reading none of the body: a receiver could
    answer with gigabytes (or forever), and nothing in it is used."""
    import httpx

    response = await client.send(
        request, stream=True, auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT
    )
    await response.aclose()
    return response.status_code


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


async def post(
    client: httpx.AsyncClient, due: Due, deadline_seconds: float, *, allow_private: bool = False
) -> Outcome:
    """POST one delivery, signed, within a deadline for the whole exchange (httpx's own timeout
    is per read, which a receiver trickling bytes would stretch past the lease). A URL that now
    reaches a private address fails the delivery with the reason; one whose host does not
    resolve is retried."""
    import httpx

    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        async with asyncio.timeout(deadline_seconds):
            target = await checked_target(due.url, allow_private=allow_private)
            url, host_header, extensions = pinned(target)
            request = client.build_request(
                "POST",
                url,
                content=due.body,
                headers={
                    "Content-Type": "application/json",
                    "X-Booking-Event": due.event,
                    "X-Booking-Delivery": str(due.id),
                    SIGNATURE_HEADER: sign(due.secret, due.body),
                    **host_header,
                },
                extensions=extensions,
                timeout=deadline_seconds,
            )
            status_code = await status_only(client, request)
        if not 200 <= status_code < 300:
            error = f"receiver answered {status_code}"
    except HostNotFound as exc:
        error = exc.message
    except UnsafeUrl as exc:
        return Outcome(None, exc.message, (time.perf_counter() - started) * 1000, final=True)
    except TimeoutError:
        error = f"no answer within {deadline_seconds:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(status_code, error, (time.perf_counter() - started) * 1000)


class WebhookChannel:
    """Webhook deliveries over one shared HTTP client."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool = False) -> None:
        self._client = client
        self._allow_private = allow_private

    def host(self, due: Due) -> str:
        return host_of(due.url)

    async def send(self, due: Due, deadline_seconds: float, attempted_at: datetime) -> Outcome:
        return await post(self._client, due, deadline_seconds, allow_private=self._allow_private)

"""Fetching an ICS feed (Google's secret address, Outlook's published calendar, iCloud, any
https `.ics`): a conditional GET, so an unchanged feed costs one small request answered 304,
and a size cap, so a huge or endless answer is cut off instead of filling memory.

Errors say what went wrong without the address: a feed's secret is often in its URL.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from booking.errors import InvalidInput
from booking.services.calendar_urls import check_before_connecting
from booking.services.outbound_url import pinned

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
ACCEPTED_ENCODINGS = "gzip, deflate"  # what `_read_capped` decodes itself


class FetchFailed(Exception):
    """A feed could not be read; the message is safe to store and show (no address, no
    credentials)."""


@dataclass(frozen=True)
class Fetched:
    """A feed's body (None: unchanged since the validators in `state`) and the validators to
    send next time."""

    body: bytes | None
    state: dict[str, Any] = field(default_factory=dict)


def _validators(state: dict[str, Any]) -> dict[str, str]:
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = str(state["etag"])
    if state.get("last_modified"):
        headers["If-Modified-Since"] = str(state["last_modified"])
    return headers


def _decoder(response: httpx.Response) -> Any:
    """A zlib decompressor for the answer's Content-Encoding (None: not compressed)."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchFailed(f"the feed came compressed as {encoding!r}, which is not read")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decoded, refused as soon as it passes `max_bytes`. Decoded here, a piece at
    a time up to the cap, not by httpx: a gzip bomb's 64 KB read would otherwise be inflated
    to 64 MB in one go before any cap could look at it."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(f"the feed is larger than the limit of {max_bytes} bytes")
    decoder = _decoder(response)
    body = bytearray()
    try:
        async for chunk in response.aiter_raw():
            if decoder is None:
                body += chunk
            while decoder is not None and chunk and len(body) <= max_bytes:
                body += decoder.decompress(chunk, max_bytes + 1 - len(body))
                chunk = decoder.unconsumed_tail
            if len(body) > max_bytes:
                raise FetchFailed(f"the feed is larger than the limit of {max_bytes} bytes")
        if decoder is not None:
            body += decoder.flush()
    except zlib.error:
        raise FetchFailed("the feed's compressed body could not be read") from None
    if len(body) > max_bytes:
        raise FetchFailed(f"the feed is larger than the limit of {max_bytes} bytes")
    return bytes(body)


async def _get(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    auth: tuple[str, str] | None,
    max_bytes: int,
    allow_private: bool,
) -> tuple[int, bytes, dict[str, str]]:
    import httpx

    origin: tuple[str, str, int] | None = None
    for _ in range(MAX_REDIRECTS + 1):
        try:
            target = await check_before_connecting(url, allow_private=allow_private)
        except InvalidInput as exc:
            raise FetchFailed(f"the address is not allowed: {exc.reason}") from None
        here = (target.parts.scheme, target.host.lower(), target.port)
        origin = origin or here
        # The user name and password are the saved address's: never sent to the host of a
        # redirect elsewhere (as a browser does), which would learn them.
        login = auth if auth and here == origin else None
        # To the address just checked, not to what a second DNS answer might say.
        pinned_url, host_header, extensions = pinned(target)
        request = client.build_request(
            "GET",
            pinned_url,
            headers={**headers, "Accept-Encoding": ACCEPTED_ENCODINGS, **host_header},
            extensions=extensions,
        )
        response = await client.send(request, stream=True, auth=login or httpx.USE_CLIENT_DEFAULT)
        try:
            if response.is_redirect and "Location" in response.headers:
                url = str(httpx.URL(target.parts.geturl()).join(response.headers["Location"]))
                continue
            if response.status_code == 304:
                return 304, b"", dict(response.headers)
            if response.status_code != 200:
                raise FetchFailed(f"the server answered {response.status_code}")
            return 200, await _read_capped(response, max_bytes), dict(response.headers)
        finally:
            await response.aclose()
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    state: dict[str, Any],
    *,
    max_bytes: int,
    timeout: float,  # noqa: ASYNC109  (one deadline for redirects and body together)
    allow_private: bool,
    auth: tuple[str, str] | None = None,
) -> Fetched:
    """GET the feed within `timeout` seconds in all; 304 gives `Fetched(None, state)`."""
    import httpx

    try:
        async with asyncio.timeout(timeout):
            status, body, headers = await _get(
                client, url, _validators(state), auth, max_bytes, allow_private
            )
    except (TimeoutError, httpx.TimeoutException):
        raise FetchFailed(f"no complete answer within {timeout:g} seconds") from None
    except httpx.ConnectError:
        raise FetchFailed(
            "could not reach the calendar's server (it refused the connection or is not "
            "answering at that address)"
        ) from None
    except httpx.TransportError:
        raise FetchFailed("the connection to the calendar's server broke off") from None
    if status == 304:
        return Fetched(None, state)
    fresh = {"etag": headers.get("etag"), "last_modified": headers.get("last-modified")}
    return Fetched(body, {k: v for k, v in fresh.items() if v})

"""An ICS feed with a user name and password that redirects: the login goes to the saved
address's host only, never to the host a redirect points at (which would learn it). And a
compressed feed, decoded whole."""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from booking.services import calendar_ics
from tests.calendars.feeds import GOOGLE_FEED


@contextmanager
def recording_server(location: str | None = None) -> Iterator[tuple[str, list[str | None]]]:
    """A server noting each request's Authorization header; /feed.ics redirects to
    `location` when one is given, every other path serves the feed."""
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            if location is not None and self.path == "/feed.ics":
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(GOOGLE_FEED)))
            self.end_headers()
            self.wfile.write(GOOGLE_FEED)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.ics", seen
    finally:
        server.shutdown()
        server.server_close()


async def fetch(url: str) -> calendar_ics.Fetched:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        return await calendar_ics.fetch(
            client, url, {}, max_bytes=10**6, timeout=5.0, allow_private=True,
            auth=("sam", "feed-password"),
        )  # fmt: skip


async def test_the_login_is_not_sent_to_another_host_a_redirect_names() -> None:
    """Saved on host A, redirected to host B (another port: another origin): A is sent the
    login, B is not, and B's feed is read."""
    with (
        recording_server() as (elsewhere, seen_there),
        recording_server(elsewhere) as (
            saved,
            seen_here,
        ),
    ):
        fetched = await fetch(saved)
    assert fetched.body == GOOGLE_FEED
    assert seen_here[0] is not None and seen_here[0].startswith("Basic ")
    assert seen_there == [None]


async def test_the_login_follows_a_redirect_on_the_same_host() -> None:
    """A redirect to another path of the same host keeps the login (a calendar moved)."""
    with recording_server(location="/moved.ics") as (saved, seen):
        fetched = await fetch(saved)
    assert fetched.body == GOOGLE_FEED
    assert len(seen) == 2 and all(s is not None and s.startswith("Basic ") for s in seen)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_feed_is_read_whole(encoding: str) -> None:
    """A feed sent gzip- or deflate-compressed (as Google's is) is decoded to the very text."""
    body = gzip.compress(GOOGLE_FEED) if encoding == "gzip" else zlib.compress(GOOGLE_FEED)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fetched = await fetch(f"http://127.0.0.1:{server.server_address[1]}/feed.ics")
    finally:
        server.shutdown()
        server.server_close()
    assert fetched.body == GOOGLE_FEED

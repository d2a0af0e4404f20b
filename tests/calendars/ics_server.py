"""A local HTTP server that serves one ICS feed the way calendar hosts do: an ETag and a
Last-Modified on each answer, 304 to a conditional GET that matches, and switches the tests
flip (a slow answer, an HTML page instead of iCalendar, an error status). It counts the GETs it
receives, which is what a second process must not add to.

    with IcsServer.start() as feed:
        feed.body = ICS_BYTES
        feed.url          # http://127.0.0.1:<port>/calendar.ics
        feed.requests     # GETs received so far
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LAST_MODIFIED = "Mon, 30 Nov 2026 12:00:00 GMT"


@dataclass
class IcsServer:
    """The feed served and how; change the fields between syncs."""

    url: str = ""
    body: bytes = b""
    content_type: str = "text/calendar; charset=utf-8"
    status: int = 200
    delay_seconds: float = 0.0
    etag: str | None = None  # None: derived from the body
    requests: int = 0
    conditional_requests: int = 0
    received_at: list[float] = field(default_factory=list)  # time.monotonic() of each GET
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current_etag(self) -> str:
        return self.etag or '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[IcsServer]:
        feed = cls()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with feed._lock:
                    feed.requests += 1
                    feed.received_at.append(time.monotonic())
                    if self.headers.get("If-None-Match"):
                        feed.conditional_requests += 1
                if feed.delay_seconds:
                    time.sleep(feed.delay_seconds)
                if feed.status != 200:
                    self.send_response(feed.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = feed.current_etag()
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", feed.content_type)
                self.send_header("Content-Length", str(len(feed.body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.end_headers()
                # The client may give up first (a timeout, a size cap).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(feed.body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        feed.url = f"http://127.0.0.1:{server.server_address[1]}/calendar.ics"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield feed
        finally:
            server.shutdown()
            server.server_close()

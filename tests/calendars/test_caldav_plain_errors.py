"""A CalDAV address that is wrong says so in the owner's words: a web server that is not a
CalDAV server, and an address where nothing answers, each fail the read with a reason that
names no library error, and the CalDAV library's own CRITICAL line (the server's whole
answer and a traceback) does not reach the log."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import structlog

from booking.logging import configure_logging
from booking.services.calendar_caldav import Account, read
from booking.services.calendar_ics import FetchFailed
from tests.conftest import NOW

WINDOW = (NOW, NOW + timedelta(days=30))


@pytest.fixture
def plain_web_server() -> Iterator[str]:
    """A server that is no CalDAV server: PROPFIND gets an answer labelled XML that is not
    (a web page would be refused before the library reads it)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_PROPFIND(self) -> None:
            body = b"<oops>This server speaks no WebDAV.</nope>\n"
            self.send_response(207)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def our_logging() -> Iterator[None]:
    """`booking serve`'s logging, JSON on stderr (take `capsys` first, so it writes there);
    the root logger put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    before = structlog.get_config()
    configure_logging("info", "json")
    yield
    structlog.configure(**before)  # its printer holds this test's (then closed) stderr
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


async def _reason(url: str) -> str:
    with pytest.raises(FetchFailed) as failed:
        await read(
            Account(url, "sam", "app-password"), {}, WINDOW,
            timeout=5.0, max_bytes=1_000_000, allow_private=True,
        )  # fmt: skip
    return str(failed.value)


async def test_a_web_server_that_is_not_caldav_is_named_as_such(
    plain_web_server: str, capsys: pytest.CaptureFixture[str], our_logging: None
) -> None:
    """An address that answers PROPFIND with something that is not WebDAV fails with "did
    not answer as a CalDAV server" and where to find the right address, naming no library
    error; stderr carries no CRITICAL line and nothing of the server's answer."""
    reason = await _reason(plain_web_server)
    assert reason.startswith("the address did not answer as a CalDAV server")
    assert "Error" not in reason
    written = capsys.readouterr().err
    assert "critical" not in written.lower()
    assert "speaks no WebDAV" not in written


async def test_an_address_where_nothing_answers_cannot_be_reached() -> None:
    """A port nobody listens on fails with "could not reach the CalDAV server"."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}/"
    reason = await _reason(url)
    assert reason.startswith("could not reach the CalDAV server")

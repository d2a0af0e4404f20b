"""Calendar servers that misbehave on purpose (a local server speaking HTTP and WebDAV): a
body dripped a byte at a time, more bytes than the cap, a gzip bomb, an XML entity bomb. Each
read fails within its deadline with a reason that names no address, and a CalDAV read's worker
thread lets go of the connection instead of reading on after the read was given up."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx
import pytest

from booking.services import calendar_caldav, calendar_ics
from booking.services.calendar_ics import FetchFailed
from booking.services.outbound_url import Target
from tests.calendars.hostile_server import HostileServer
from tests.calendars.radicale_server import RadicaleServer

WINDOW = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=30))
CAP = 1_000_000
TIMEOUT = 1.0


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    with HostileServer.start(request.param) as server:
        yield server


async def read_caldav(server: HostileServer) -> None:
    account = calendar_caldav.Account(server.url, "sam", "secret-password")
    await calendar_caldav.read(
        account, {}, WINDOW, timeout=TIMEOUT, max_bytes=CAP, allow_private=True
    )


@pytest.mark.parametrize("hostile", ["drip", "header-drip"], indirect=True)
async def test_a_caldav_server_dripping_bytes_is_let_go_at_the_deadline(
    hostile: HostileServer,
) -> None:
    """A server sending its answer's body, or its headers, a byte every tenth of a second
    (each within the socket timeout) fails the read at the deadline, and the worker thread
    hangs up on it then rather than reading on for days."""
    began = time.monotonic()
    with pytest.raises(FetchFailed, match="no complete answer within 1 seconds") as refused:
        await read_caldav(hostile)
    assert time.monotonic() - began < TIMEOUT + 1.0
    assert hostile.hung_up.wait(3.0), "the worker thread is still reading"
    assert "127.0.0.1" not in str(refused.value) and "secret" not in str(refused.value)


@pytest.mark.parametrize("hostile", ["huge", "gzip"], indirect=True)
async def test_a_caldav_answer_past_the_cap_is_refused(hostile: HostileServer) -> None:
    """An answer of 20 MB (plain and chunked, or a small gzip that decodes to 20 MB) is cut
    off at the cap of what it decodes to, and the read fails saying so."""
    began = time.monotonic()
    with pytest.raises(FetchFailed, match=f"larger than {CAP} bytes"):
        await read_caldav(hostile)
    assert time.monotonic() - began < TIMEOUT + 1.0


@pytest.mark.parametrize("hostile", ["xml-bomb"], indirect=True)
async def test_a_caldav_xml_entity_bomb_is_refused_at_once(hostile: HostileServer) -> None:
    """A PROPFIND answer whose entities would expand to gigabytes fails the read at once,
    reported as the server's error, not expanded."""
    began = time.monotonic()
    with pytest.raises(FetchFailed, match="CalDAV") as refused:
        await read_caldav(hostile)
    assert time.monotonic() - began < TIMEOUT
    assert "xxxxxxxx" not in str(refused.value)


@pytest.mark.parametrize("hostile", ["drip"], indirect=True)
async def test_an_ics_feed_dripping_bytes_fails_at_the_deadline(hostile: HostileServer) -> None:
    """The deadline of an ICS fetch covers its whole body, not each read of the socket."""
    began = time.monotonic()
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchFailed, match="no complete answer within 1 seconds"):
            await calendar_ics.fetch(
                client, hostile.url, {}, max_bytes=CAP, timeout=TIMEOUT, allow_private=True
            )
    assert time.monotonic() - began < TIMEOUT + 1.0


@pytest.mark.parametrize("hostile", ["gzip", "huge"], indirect=True)
async def test_an_ics_feed_past_the_cap_is_refused(hostile: HostileServer) -> None:
    """An ICS answer past the cap, counted in decoded bytes (a gzip bomb), is refused."""
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchFailed, match=f"larger than the limit of {CAP} bytes"):
            await calendar_ics.fetch(
                client, hostile.url, {}, max_bytes=CAP, timeout=5.0, allow_private=True
            )


@pytest.mark.parametrize("hostile", ["gzip"], indirect=True)
async def test_an_ics_gzip_bomb_is_inflated_no_further_than_the_cap(
    hostile: HostileServer,
) -> None:
    """A small gzip answer that decodes to 20 MB is inflated a piece at a time and given up
    at the cap: memory never holds much more than the cap of it."""
    import tracemalloc

    tracemalloc.start()
    try:
        async with httpx.AsyncClient() as client:
            with pytest.raises(FetchFailed, match="larger than the limit"):
                await calendar_ics.fetch(
                    client, hostile.url, {}, max_bytes=CAP, timeout=5.0, allow_private=True
                )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * CAP


@pytest.mark.parametrize("hostile", ["login-page"], indirect=True)
async def test_a_caldav_address_answering_with_a_web_page_says_so_and_logs_none_of_it(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    """An address that answers PROPFIND with an HTML page (a login form, a wrong URL) fails
    the read saying it is a web page, and no log line carries the page."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FetchFailed, match="answered with a web page"):
        await read_caldav(hostile)
    assert not any("secret-login-page" in r.getMessage() for r in caplog.records)


def test_every_caldav_request_goes_to_the_address_that_was_checked(
    radicale: RadicaleServer,
) -> None:
    """Each request of the CalDAV library connects to the address the guard checked, naming
    the host in its Host header, rather than resolving the name again (a second DNS answer
    could be a private address). Here a name no DNS knows is checked, by a stand-in for DNS,
    as Radicale's address: the account is read through it."""
    radicale.make_calendar("personal")
    named = radicale.url.replace("127.0.0.1", "calendar.invalid")

    async def dns_says_loopback(url: str, *, allow_private: bool) -> Target:
        parts = urlsplit(url)
        return Target(parts, str(parts.hostname), parts.port or 80, (ip_address("127.0.0.1"),))

    account = calendar_caldav.Account(named, radicale.username, radicale.password)
    read = calendar_caldav._read_blocking(
        account, {}, WINDOW, 5.0, CAP, allow_private=False, check=dns_says_loopback
    )
    assert read.objects == []
    assert [url for url in read.state["calendars"] if "personal" in url]


@pytest.mark.parametrize(
    ("certified", "reached"), [("calendar.example", True), ("other.example", False)]
)
def test_a_pinned_https_request_still_names_and_verifies_the_host(
    monkeypatch: pytest.MonkeyPatch, certified: str, reached: bool
) -> None:
    """Over https the request goes to the checked address while TLS names the host (SNI)
    and checks the server's certificate against it: a certificate for the host is accepted
    (here the server answers with a web page, which is then said), one for another name is
    refused."""
    import ssl

    import requests
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(certified).configure_cert(context)

    async def dns_says_loopback(url: str, *, allow_private: bool) -> Target:
        parts = urlsplit(url)
        return Target(parts, str(parts.hostname), parts.port or 443, (ip_address("127.0.0.1"),))

    with (
        HostileServer.start("login-page", tls=context) as server,
        authority.cert_pem.tempfile() as bundle,
    ):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
        named = server.url.replace("127.0.0.1", "calendar.example")
        account = calendar_caldav.Account(named, "sam", "secret-password")
        with pytest.raises((FetchFailed, requests.exceptions.SSLError)) as failed:
            calendar_caldav._read_blocking(
                account, {}, WINDOW, 5.0, CAP, allow_private=False, check=dns_says_loopback
            )
    if reached:
        assert "answered with a web page" in str(failed.value)
    else:
        assert isinstance(failed.value, requests.exceptions.SSLError)


@pytest.mark.parametrize("hostile", ["to-metadata"], indirect=True)
async def test_a_redirect_to_the_metadata_address_is_not_followed(hostile: HostileServer) -> None:
    """An ICS feed or a CalDAV server (on the business's LAN: private addresses allowed)
    that redirects to the cloud's metadata address: each hop is checked again, and that one
    is refused, saying why."""
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchFailed, match=r"not allowed: .*metadata"):
            await calendar_ics.fetch(
                client, hostile.url, {}, max_bytes=CAP, timeout=5.0, allow_private=True
            )
    with pytest.raises(FetchFailed, match=r"not allowed: .*metadata"):
        await read_caldav(hostile)


@pytest.fixture
def tls_dripper() -> Iterator[tuple[str, threading.Event]]:
    """A server that answers a TLS handshake with a record header announcing 16 KB, then
    sends it a byte every tenth of a second; the event is set once the client hung up."""
    listener = socket.create_server(("127.0.0.1", 0))
    hung_up = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                connection.recv(4096)  # the ClientHello
                connection.sendall(b"\x16\x03\x03\x40\x00")
                for _ in range(10**6):
                    time.sleep(0.1)
                    connection.sendall(b"\x00")
        hung_up.set()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}/dav/", hung_up
    finally:
        listener.close()


async def test_a_caldav_server_dripping_its_tls_handshake_is_let_go_at_the_deadline(
    tls_dripper: tuple[str, threading.Event],
) -> None:
    """A server that drags out the TLS handshake a byte at a time fails the read at the
    deadline, and the worker thread hangs up on it then."""
    url, hung_up = tls_dripper
    account = calendar_caldav.Account(url, "sam", "secret-password")
    began = time.monotonic()
    with pytest.raises(FetchFailed, match="no complete answer within 1 seconds"):
        await calendar_caldav.read(
            account, {}, WINDOW, timeout=TIMEOUT, max_bytes=CAP, allow_private=True
        )
    assert time.monotonic() - began < TIMEOUT + 1.0
    assert hung_up.wait(3.0), "the worker thread is still in the handshake"

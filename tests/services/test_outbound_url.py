"""The outbound URL guard: which URLs may be connected to, with and without
OUTBOUND_ALLOW_PRIVATE, and that a checked request goes to the address that was checked."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web

from booking.services.outbound_url import (
    HostNotFound,
    Target,
    UnsafeUrl,
    check_outbound_url,
    check_url_syntax,
    check_url_to_save,
    pinned,
)

REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.8.9.10:8080/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),  # a name resolving to 127.0.0.1
    ("https://10.1.2.3/hook", "private"),
    ("http://192.168.0.10/dav", "private"),
    ("http://172.16.5.4/dav", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[::1]:8080/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://100.64.0.1/", "public"),  # carrier-grade NAT: "not a public address"
    ("http://240.0.0.1/", "reserved"),
]


@pytest.mark.parametrize(("url", "kind"), REFUSED)
async def test_addresses_that_are_not_public_are_refused(url: str, kind: str) -> None:
    """Loopback, private (10/8 and the rest), link-local, metadata, multicast, unspecified and
    reserved addresses, literal or behind a name, IPv4-mapped included, are refused naming the
    field and the kind of address."""
    with pytest.raises(UnsafeUrl) as refused:
        await check_outbound_url(url, allow_private=False, field="write_calendar")
    assert refused.value.field == "write_calendar"
    assert kind in refused.value.reason
    assert "OUTBOUND_ALLOW_PRIVATE" in refused.value.reason


@pytest.mark.parametrize(("url", "kind"), [(u, k) for u, k in REFUSED if k != "metadata"])
async def test_private_addresses_are_allowed_when_the_setting_says_so(url: str, kind: str) -> None:
    """With OUTBOUND_ALLOW_PRIVATE every one of them but the metadata addresses passes (a
    Nextcloud on the LAN)."""
    await check_outbound_url(url, allow_private=True)


async def test_public_addresses_pass() -> None:
    """Public IPv4 and IPv6 addresses pass the guard."""
    await check_outbound_url("https://93.184.215.14/hook", allow_private=False)
    await check_outbound_url("https://[2606:2800:21f:cb07::1]/", allow_private=False)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://files.example/hook", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("https://", "http or https"),
        ("not a url", "http or https"),
        ("https://user:secret@dav.example/", "user name or password"),
        ("https://dav.example:99999/", "http or https"),
        ("https://dav.example/" + "x" * 2000, "at most 2000"),
    ],
)
async def test_malformed_urls_are_refused_even_when_private_is_allowed(url: str, says: str) -> None:
    """Scheme, host, credentials in the URL, port and length are checked whatever the
    setting, naming the field."""
    with pytest.raises(UnsafeUrl) as refused:
        check_url_syntax(url, field="url")
    assert refused.value.field == "url" and says in refused.value.reason
    with pytest.raises(UnsafeUrl):
        await check_outbound_url(url, allow_private=True)


async def test_a_host_that_does_not_resolve_cannot_be_connected_to_but_may_be_saved() -> None:
    """A name that does not resolve is refused before a connection (there is no checked
    address to go to) and accepted when saved (every connection checks it again)."""
    with pytest.raises(HostNotFound) as refused:
        await check_outbound_url("https://nowhere.invalid/hook", allow_private=False)
    assert "does not resolve" in refused.value.reason
    await check_url_to_save("https://nowhere.invalid/hook", allow_private=False)
    with pytest.raises(UnsafeUrl):
        await check_url_to_save("http://localhost/hook", allow_private=False)


async def test_a_pinned_request_reaches_the_checked_address_and_names_the_host() -> None:
    """The request for a checked URL goes to the address that was checked, not to a second
    DNS answer, while the receiver still sees the URL's host name and port."""
    seen: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append(request.headers["Host"])
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        # A name no resolver knows: only the pinned address can bring the request anywhere.
        url = f"http://hooks.invalid:{port}/hook"
        target = Target(urlsplit(url), "hooks.invalid", port, (ipaddress.ip_address("127.0.0.1"),))
        address_url, headers, extensions = pinned(target)
        async with httpx.AsyncClient() as client:
            answer = await client.post(address_url, headers=headers, extensions=extensions)
    finally:
        await runner.cleanup()
    assert answer.status_code == 204
    assert seen == [f"hooks.invalid:{port}"]

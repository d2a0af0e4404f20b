"""The failed-authentication throttle, through the real `booking serve` (uvicorn in front):
X-Forwarded-For counts only from a proxy named in TRUSTED_PROXIES, and a valid token is
always served, whatever other clients (or the same address) got wrong."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from booking.config import SettingsError, load_settings
from booking.server import serve

GUESS = {"Authorization": "Bearer bk_guess"}
PROBLEM = "application/problem+json"
ServerFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running(database_url: str) -> ServerFactory:
    """Start `serve` on loopback with the given settings; yield a client that reaches it over
    TCP (so the peer address is 127.0.0.1, as for a local reverse proxy)."""

    @asynccontextmanager
    async def start(**settings: object) -> AsyncIterator[httpx.AsyncClient]:
        port, stop = free_port(), asyncio.Event()
        config = load_settings(database_url=database_url, **settings)
        task = asyncio.create_task(serve(config, host="127.0.0.1", port=port, stop=stop))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(100):
                    try:
                        await client.get("/health")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                yield client
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    return start


def via(address: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "X-Forwarded-For": address}


async def test_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_throttle(running, shop):
    """With no trusted proxies, 30 bad tokens each claiming another X-Forwarded-For address
    all count against the real peer: after 20 failures the rest are 429 with Retry-After."""
    async with running() as client:
        statuses = [
            (await client.get("/api/business", headers=via(f"198.51.100.{i}", GUESS))).status_code
            for i in range(30)
        ]
        last = await client.get("/api/business", headers=via("198.51.100.99", GUESS))
    assert statuses == [401] * 20 + [429] * 10
    assert last.status_code == 429
    assert last.headers["content-type"].startswith(PROBLEM)
    assert int(last.headers["retry-after"]) >= 1


async def test_failures_under_someone_elses_address_never_lock_out_their_token(running, shop):
    """Twenty failures sent claiming the victim's address (and more from the victim's real
    address) never make the victim's valid token answer 429: it is served every time."""
    mine = {"Authorization": f"Bearer {shop.token}"}
    async with running() as client:
        for _ in range(25):
            bad = await client.get("/api/business", headers=via("203.0.113.7", GUESS))
            assert bad.status_code in (401, 429)
        served = await client.get("/api/business", headers=via("203.0.113.7", mine))
        plain = await client.get("/api/business", headers=mine)
    assert served.status_code == 200, served.text
    assert served.json()["id"] == shop.business_id
    assert plain.status_code == 200


async def test_a_trusted_proxy_forwarded_address_is_honoured(running, shop):
    """With TRUSTED_PROXIES naming the peer, failures count per forwarded client: the
    guesser's address gets 429 after 20 failures, another client behind the same proxy still
    gets a plain 401 for a bad token, and the guesser's valid token is served."""
    mine = {"Authorization": f"Bearer {shop.token}"}
    async with running(trusted_proxies="10.0.0.0/8, 127.0.0.1") as client:
        for _ in range(20):
            bad = await client.get("/api/business", headers=via("203.0.113.7", GUESS))
            assert bad.status_code == 401
        guesser = await client.get("/api/business", headers=via("203.0.113.7", GUESS))
        neighbour = await client.get("/api/business", headers=via("203.0.113.8", GUESS))
        served = await client.get("/api/business", headers=via("203.0.113.7", mine))
    assert guesser.status_code == 429
    assert neighbour.status_code == 401
    assert served.status_code == 200


async def test_repeated_failures_slow_guesses_but_not_a_valid_token(client, shop, auth):
    """In process: after 20 failed attempts in a minute an address's further failures get 429
    with Retry-After, while a valid token from that same address is still answered 200."""
    for _ in range(20):
        bad = await client.get("/api/business", headers=GUESS)
        assert bad.status_code == 401
    blocked = await client.get("/api/business", headers=GUESS)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"].startswith(PROBLEM)
    assert blocked.json()["status"] == 429
    assert int(blocked.headers["retry-after"]) >= 1
    missing = await client.get("/api/business")
    assert missing.status_code == 429
    served = await client.get("/api/business", headers=auth)
    assert served.status_code == 200


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, ()),
        ("192.0.2.10", ("192.0.2.10/32",)),
        (
            " 10.0.0.0/8 , 2001:db8::/32,192.168.1.7 ",
            ("10.0.0.0/8", "2001:db8::/32", "192.168.1.7/32"),
        ),
    ],
)
def test_trusted_proxies_are_read_as_networks(given, expected):
    """TRUSTED_PROXIES is a comma-separated list of IPs and CIDRs, empty by default."""
    settings = load_settings(**({} if given is None else {"trusted_proxies": given}))
    assert settings.trusted_proxies == expected


@pytest.mark.parametrize("given", ["*", "proxy.internal", "10.0.0.0/33"])
def test_trusted_proxies_refuse_anything_but_addresses(given):
    """A wildcard, a host name or a malformed network is refused in one line naming the
    setting, rather than silently trusting every client or none."""
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings(trusted_proxies=given)


def test_trusted_proxies_come_from_the_environment(monkeypatch):
    """TRUSTED_PROXIES in the environment is read as the same comma-separated list."""
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1,172.16.0.0/12")
    assert load_settings().trusted_proxies == ("127.0.0.1/32", "172.16.0.0/12")

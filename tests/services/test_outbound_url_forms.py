"""The outbound guard against the other ways of writing an address: IPv4 in decimal, hex,
octal or short form, IPv6 forms that carry an IPv4 address or a zone, the clouds' metadata
address whatever OUTBOUND_ALLOW_PRIVATE says, the ports of other protocols, and DNS answers
that mix public and unsafe addresses."""

from __future__ import annotations

import asyncio
import socket

import pytest

from booking.services.outbound_url import (
    UnsafeUrl,
    check_outbound_url,
    check_url_to_save,
    checked_target,
    pinned,
)

SPELLED = [
    ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
    ("http://0x7f.1/", "loopback"),  # hex, short form
    ("http://127.1/", "loopback"),
    ("http://0177.0.0.1/", "loopback"),  # octal
    ("http://0/", "unspecified"),
    ("http://[::127.0.0.1]/", "reserved"),  # IPv4-compatible IPv6
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 of 127.0.0.1
    ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64 of 169.254.169.254
    ("http://[fe80::1%25eth0]/", "link-local"),  # with a zone id
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private"),  # Teredo
]


@pytest.mark.parametrize(("url", "kind"), SPELLED)
async def test_other_spellings_of_an_address_are_refused(url: str, kind: str) -> None:
    """However an inner address is written, it is read as the address it is and refused."""
    with pytest.raises(UnsafeUrl) as refused:
        await check_outbound_url(url, allow_private=False)
    assert kind in refused.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[fd00:ec2::254]/",
        "http://2852039166/",  # 169.254.169.254 as one number
    ],
)
async def test_metadata_addresses_are_refused_even_with_private_allowed(url: str) -> None:
    """A server on the business's LAN is never the cloud's metadata service: that address is
    refused with OUTBOUND_ALLOW_PRIVATE too, when saved and before connecting."""
    with pytest.raises(UnsafeUrl, match="metadata") as refused:
        await check_outbound_url(url, allow_private=True, field="url")
    assert refused.value.field == "url"
    with pytest.raises(UnsafeUrl, match="metadata"):
        await check_url_to_save(url, allow_private=True)


@pytest.mark.parametrize("port", [25, 22, 53, 110, 143, 465, 587, 993, 5060, 6667])
@pytest.mark.parametrize("allow_private", [False, True])
async def test_the_ports_of_other_protocols_are_refused(port: int, allow_private: bool) -> None:
    """Mail, SSH, DNS, IRC or SIP ports are refused whatever the setting, naming the port."""
    with pytest.raises(UnsafeUrl, match=f"port {port} belongs to another protocol"):
        await check_outbound_url(f"http://93.184.215.14:{port}/", allow_private=allow_private)


async def test_web_ports_pass() -> None:
    """The usual ports of web servers and of calendar servers pass."""
    for port in (80, 443, 8080, 8443, 5232, 8008):
        await check_outbound_url(f"https://93.184.215.14:{port}/", allow_private=False)


def dns_answering(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """A stand-in for DNS (the network's edge): every name resolves to `addresses`."""
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (a, port, 0, 0) if ":" in a else (a, port))
            for a in addresses
        ]  # fmt: skip

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("answers", "kind"),
    [
        (("93.184.215.14", "127.0.0.1"), "loopback"),
        (("2606:2800:21f:cb07::1", "10.0.0.7"), "private"),
        (("93.184.215.14", "::ffff:169.254.169.254"), "metadata"),
    ],
)
async def test_a_name_with_one_unsafe_answer_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch, answers: tuple[str, ...], kind: str
) -> None:
    """A name whose DNS answers mix public and unsafe addresses is refused: a connection
    could be sent to any of them."""
    dns_answering(monkeypatch, *answers)
    with pytest.raises(UnsafeUrl, match=kind):
        await check_outbound_url("https://mixed.example/hook", allow_private=False)


async def test_a_name_with_public_answers_is_pinned_to_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """All answers public: the connection goes to the first one checked."""
    dns_answering(monkeypatch, "93.184.215.14", "93.184.215.15")
    target = await checked_target("https://calendar.example/dav", allow_private=False)
    assert [str(a) for a in target.addresses] == ["93.184.215.14", "93.184.215.15"]
    url, headers, extensions = pinned(target)
    assert url == "https://93.184.215.14/dav"
    assert headers == {"Host": "calendar.example"}
    assert extensions == {"sni_hostname": "calendar.example"}

"""The guard on URLs an admin typed (webhooks, calendars): http(s) only, and, after DNS
resolution, no loopback, private, link-local, multicast, reserved or cloud metadata address,
so that nobody can point the server at itself or its network. Checked when a URL is saved and
again before every connection (DNS may have changed since). OUTBOUND_ALLOW_PRIVATE lifts the
address rule for a business whose own server (a Nextcloud on its LAN) has a private address,
but for the clouds' metadata addresses. The ports of other protocols (the Fetch standard's
list) are refused whatever the setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from booking.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
RESOLVE_SECONDS = 5.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The instance metadata services of the clouds (AWS, GCP, Azure...: 169.254.169.254; AWS's
# IPv6 one): they hand out credentials to whoever asks from the machine.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The ports browsers never send HTTP to (the Fetch standard's "bad ports"): mail, SSH, DNS,
# IRC, SIP and the like, whose servers a crafted HTTP request could talk to in their protocol.
BAD_PORTS = frozenset(
    {0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
     101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179,
     389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601,
     636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
     6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080}
)  # fmt: skip


class UnsafeUrl(InvalidInput):
    """An outbound URL that must not be connected to; names the field (422 through the API)."""

    code = "unsafe_url"


class HostNotFound(UnsafeUrl):
    """The URL's host does not resolve (now). Nothing can be connected to, so nothing unsafe
    either: a save may accept it; a connection may not go ahead."""

    code = "host_not_found"


@dataclass(frozen=True)
class Target:
    """Where a checked URL may be connected: its parts, and the addresses that were checked
    (empty when private addresses are allowed and nothing needed checking)."""

    parts: SplitResult
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def check_url_syntax(url: str, field: str = "url") -> None:
    """http or https, a host, no user name or password in it (they would be logged and
    shown), a valid port that is not another protocol's, at most 2,000 characters."""
    _parts(url, field)


def _parts(url: str, field: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(field, f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise UnsafeUrl(field, "must be an http or https URL") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UnsafeUrl(field, "must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(field, "must not carry a user name or password; give them separately")
    if parts.port in BAD_PORTS:
        raise UnsafeUrl(
            field, f"port {parts.port} belongs to another protocol (mail, SSH...); use the "
            "port of the web server",
        )  # fmt: skip
    return parts


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, NAT64), if any."""
    embedded = address.ipv4_mapped or address.sixtofour
    if embedded is None and address in _NAT64:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return embedded


def _is_metadata(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return embedded in METADATA_ADDRESSES
        address = ipaddress.IPv6Address(address.compressed.split("%")[0])
    return address in METADATA_ADDRESSES


def refusal(address: IPAddress) -> str | None:
    """Why an address must not be connected to, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
        address = ipaddress.IPv6Address(address.compressed.split("%")[0])  # no zone id
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for kind, flag in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("the unspecified address", address.is_unspecified),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private),
    ):
        if flag:
            return kind
    return None if address.is_global else "not a public address"


async def _resolve(host: str, port: int, field: str) -> tuple[IPAddress, ...]:
    """Every address the host resolves to (an IP literal is its own)."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        raise HostNotFound(field, f"the host {host} does not resolve") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(field, f"the host {host} does not resolve")
    return tuple(addresses)


async def checked_target(url: str, *, allow_private: bool, field: str = "url") -> Target:
    """Check the URL's form, then resolve its host and refuse it if ANY address is not public
    (one bad answer is enough to be sent there). With `allow_private`, the form, and no
    cloud metadata address (no server on a LAN is one; the credentials it hands out are)."""
    parts = _parts(url, field)
    host = str(parts.hostname)
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    if allow_private:
        with contextlib.suppress(HostNotFound):  # the connection fails by itself then
            for address in await _resolve(host, port, field):
                if _is_metadata(address):
                    shown = host if host == str(address) else f"{host} ({address})"
                    raise UnsafeUrl(
                        field, f"{shown} is a cloud metadata address, which is never reached"
                    )
        return Target(parts, host, port, ())
    addresses = await _resolve(host, port, field)
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            shown = host if host == str(address) else f"{host} ({address})"
            raise UnsafeUrl(
                field,
                f"{shown} is {reason}; only public addresses are reached. For a server on "
                "your own network, set OUTBOUND_ALLOW_PRIVATE=true in the server's settings "
                "(.env) and restart it",
            )
    return Target(parts, host, port, addresses)


async def check_outbound_url(url: str, *, allow_private: bool, field: str = "url") -> None:
    """Refuse (UnsafeUrl, naming `field`) a URL that must not be connected to now."""
    await checked_target(url, allow_private=allow_private, field=field)


async def check_url_to_save(url: str, *, allow_private: bool, field: str = "url") -> None:
    """The check when a URL is saved: as before a connection, except that a host that does
    not resolve yet is accepted (every connection checks it again, and is refused then)."""
    with contextlib.suppress(HostNotFound):
        await check_outbound_url(url, allow_private=allow_private, field=field)


def pinned(target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL, headers and httpx extensions that connect to the first checked address rather
    than resolving the host again (a second answer could be a different, private one), while
    the request still names the host (Host header; TLS server name and certificate check)."""
    parts = target.parts
    if not target.addresses:
        return parts.geturl(), {}, {}
    address = target.addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    if ":" in str(parts.hostname):  # an IPv6 literal host keeps its brackets
        host_header = parts.netloc
    return (
        parts._replace(netloc=netloc).geturl(),
        {"Host": host_header},
        {"sni_hostname": str(parts.hostname)},
    )

"""What leaves the process: each active webhook's receiver answers a TCP connection, and so
does the mail server when email is configured."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from booking.config import Settings
from booking.db import Database
from booking.doctor.result import CheckResult, failed, passed, skipped
from booking.services import webhooks
from booking.services.businesses import BusinessInfo
from booking.services.outbound_url import UnsafeUrl, checked_target
from booking.smtp import parse_smtp_url

CONNECT_WAIT_SECONDS = 3.0


async def active_webhook_urls(db: Database, businesses: list[BusinessInfo]) -> list[str]:
    """The URLs of every business's active subscriptions, each once."""
    urls: list[str] = []
    for business in businesses:
        for subscription in await webhooks.list_subscriptions(db, business.id):
            if subscription.active and subscription.url not in urls:
                urls.append(subscription.url)
    return urls


def host_of(url: str) -> str:
    """Host and port only: a URL's path, query or user part may carry a secret."""
    parsed = urlparse(url)
    host = parsed.hostname or "?"
    return f"{host}:{parsed.port}" if parsed.port else host


async def reach(
    url: str, within: float = CONNECT_WAIT_SECONDS, *, allow_private: bool = False
) -> str | None:
    """None when the URL passes the product's outbound check (as each delivery does) and its
    host takes a TCP connection; otherwise why not (naming the host only)."""
    try:
        target = await checked_target(url, allow_private=allow_private)
    except UnsafeUrl as exc:
        return f"{host_of(url)}: {exc.reason}"
    # The address the guard checked, as a delivery connects to it.
    address = str(target.addresses[0]) if target.addresses else target.host
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(address, target.port)
    except TimeoutError:
        return f"{host_of(url)}: no answer within {within:g} s"
    except OSError as exc:
        return f"{host_of(url)}: {exc.strerror or type(exc).__name__}"
    writer.close()
    await writer.wait_closed()
    return None


async def check_webhooks(
    db: Database, businesses: list[BusinessInfo] | None, *, allow_private: bool = False
) -> CheckResult:
    """Deliveries to a receiver that cannot be reached pile up as retries, then fail.
    `allow_private`: OUTBOUND_ALLOW_PRIVATE."""
    if businesses is None:
        return skipped("webhooks", "the database is not usable: not checked")
    urls = await active_webhook_urls(db, businesses)
    if not urls:
        return skipped("webhooks", "no webhook subscription")
    problems = [
        p
        for p in await asyncio.gather(*(reach(url, allow_private=allow_private) for url in urls))
        if p
    ]
    if problems:
        return failed(
            "webhooks",
            "cannot reach " + "; ".join(problems),
            "start the receiver or fix its address (DELETE /api/webhooks/{id}, then POST a new "
            "one); its deliveries wait and retry meanwhile",
        )
    return passed("webhooks", f"{len(urls)} receiver(s) take connections")


async def check_smtp(settings: Settings | None = None) -> CheckResult:
    """Confirmations and reminders wait (and reminders go stale) while the server is away."""
    if settings is None or settings.smtp_url is None:
        return skipped("smtp", "no SMTP configured")
    target = parse_smtp_url(settings.smtp_url.get_secret_value())
    try:
        async with asyncio.timeout(CONNECT_WAIT_SECONDS):
            _, writer = await asyncio.open_connection(target.host, target.port)
    except (TimeoutError, OSError) as exc:
        why = getattr(exc, "strerror", None) or f"no answer within {CONNECT_WAIT_SECONDS:g} s"
        return failed(
            "smtp",
            f"cannot reach {target.masked()}: {why}",
            "start the mail server or fix SMTP_URL; email waits and retries meanwhile",
        )
    writer.close()
    await writer.wait_closed()
    return passed("smtp", f"{target.masked()} takes connections")

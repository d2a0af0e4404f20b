"""A staff calendar's address: `webcal://` (what iCloud and Outlook hand out) read as https,
then the outbound guard (`outbound_url`) when it is saved and before every connection, each
redirect included."""

from __future__ import annotations

from urllib.parse import urlsplit

from booking.services.outbound_url import (
    Target,
    check_url_syntax,
    check_url_to_save,
    checked_target,
)


def shown_feed_url(url: str) -> str:
    """An ICS address as the API and the page show it: its host and file name only. A
    calendar's "secret address" (Google's, Outlook's) is itself the key to everything in that
    calendar, so, like a password, it is written and never read back whole."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    host = parts.netloc.rpartition("@")[2]
    path = "/" + ("…/" if len(segments) > 1 else "") + (segments[-1] if segments else "")
    return f"{parts.scheme}://{host}{path}" + ("?…" if parts.query else "")


def normalise(url: str, field: str = "url") -> str:
    """The address as it will be fetched, or InvalidInput naming the field (form only)."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    check_url_syntax(url, field)
    return url.split("#", 1)[0]


async def check_to_save(url: str, *, allow_private: bool, field: str = "url") -> None:
    """Refuse an address that must not be connected to (a host not resolving yet is kept)."""
    await check_url_to_save(url, allow_private=allow_private, field=field)


async def check_before_connecting(url: str, *, allow_private: bool) -> Target:
    """Checked again right before a connection: an address saved earlier, or a redirect."""
    return await checked_target(normalise(url), allow_private=allow_private)

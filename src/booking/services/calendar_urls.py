"""The one place a staff calendar's address is checked: when it is saved and before every
connection (each redirect too). http(s) only; `webcal://` (what iCloud and Outlook hand out)
is read as https; credentials belong in their own fields, not in the address."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from booking.errors import InvalidInput

MAX_URL_LENGTH = 2000


def normalise(url: str, field: str = "url") -> str:
    """The address as it will be fetched, or InvalidInput naming the field."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise InvalidInput(field, "must be an http or https URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, "must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            field, "must not carry a user name or password: put them in username and password"
        )
    return urlunsplit(parts._replace(fragment=""))


async def check_before_connecting(url: str, field: str = "url") -> str:
    """Checked again right before a connection: an address saved earlier, or a redirect."""
    return normalise(url, field)

"""Where email goes: `SMTP_URL` read into a mail server's address, credentials and TLS mode.

smtp://user:pass@host:587 sends over STARTTLS (required once there is a password, so it never
crosses the network in the clear; offered-only without one, for a local relay); smtps://
is TLS from the first byte (port 465 by default). Logs see only `masked()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def starttls(self) -> bool | None:
        """True: required; None: used when the server offers it; False: never (implicit TLS)."""
        if self.implicit_tls:
            return False
        return True if self.password else None

    def masked(self) -> str:
        """The URL as it may be logged: the password replaced."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Read an SMTP URL, or raise ValueError saying what is wrong (never echoing a password)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("must look like smtp://user:password@host:587 or smtps://host") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise ValueError("must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)")
    if not parts.hostname:
        raise ValueError("names no mail server host")
    if parts.password is not None and not parts.username:
        raise ValueError("has a password but no user name")
    return SmtpTarget(
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def check_address(text: str) -> str:
    """A plain address or "Name <address>", as MAIL_FROM takes it; ValueError otherwise."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    name, address = parseaddr(text)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        raise ValueError("must be an email address, e.g. Salon <bookings@example.com>")
    return str(Address(display_name=name, addr_spec=address)) if name else address

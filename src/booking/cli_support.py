"""What every `booking` command shares: the one-line error, and opening the database of
DATABASE_URL (`migrate` is what creates a SQLite file and its folder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from booking.config import Settings
    from booking.db import Database


class CliError(Exception):
    """A failure the user can act on; the message is the one line they see."""


class AgentSettingsIncomplete(Exception):
    """Some, but not all, of the phone agent's settings are present."""


def database(settings: Settings, *, must_exist: bool = True) -> Database:
    """The database of DATABASE_URL; a SQLite file must exist unless `migrate` is creating it."""
    from booking.db import Database
    from booking.server import require_database_file

    if must_exist:
        require_database_file(settings.database_url)
    return Database.from_url(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


def prepare_sqlite_file(url: str) -> None:
    """`migrate` is what creates a SQLite database, its folder included (./data on a fresh
    clone): it says so in one line, since a mistyped path would otherwise go unnoticed."""
    from booking.server import sqlite_file

    path = sqlite_file(url)
    if path is None or path.exists():
        return
    folder = path.parent
    if folder.is_dir():
        print(f"creating the database {path}")
        return
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        reason = "a file is in the way" if folder.exists() else exc.strerror
        raise CliError(f"cannot create the directory {folder} for the database: {reason}") from None
    print(f"creating the database {path} (and its directory {folder})")

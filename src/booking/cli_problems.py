"""A failure a user can act on, said in one line (never the database's password); anything
else is a bug and keeps its traceback."""

from __future__ import annotations

import socket

from booking.cli_support import AgentSettingsIncomplete, CliError


def one_line_problem(exc: BaseException, database_url: str) -> str | None:
    """What to tell the user about a failure they can act on; None for a bug (a traceback)."""
    from booking.errors import BookingError, Unavailable
    from booking.server import CannotListen, SchemaNotCurrent

    if isinstance(exc, Unavailable) and exc.__cause__ is not None:
        return database_problem(exc.__cause__, database_url) or exc.message
    if isinstance(exc, BookingError):
        return exc.message
    if isinstance(exc, CliError | SchemaNotCurrent | AgentSettingsIncomplete | CannotListen):
        return str(exc)
    return database_problem(exc, database_url)


def database_problem(exc: BaseException, database_url: str) -> str | None:
    """A refused or unreachable database in one line naming where (never the password)."""
    from sqlalchemy.exc import DBAPIError

    where = database_location(database_url)
    if isinstance(exc, DBAPIError):
        reason = first_line(exc.orig if exc.orig is not None else exc)
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        if sqlstate[:2] in ("08", "28", "3D"):  # connection, authorization, unknown database
            return f"the database server at {where} refused the connection: {reason}"
        if "unable to open database file" in reason:
            return f"cannot open the database {where}: check the path and its permissions"
        return f"database error at {where}: {reason}"
    if isinstance(exc, OSError) and exc.filename is not None:  # a file, not the database
        return f"{exc.strerror or exc}: {exc.filename}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to the database at {where}: connection refused (is it running?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot connect to the database at {where}: unknown host"
    if isinstance(exc, TimeoutError):
        return f"cannot connect to the database at {where}: no answer"
    if isinstance(exc, OSError):
        return f"cannot connect to the database at {where}: {exc.strerror or exc}"
    return None


def database_location(database_url: str) -> str:
    """user@host:port/name for a server, the file for SQLite: enough to spot a typo."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    user = f"{url.username}@" if url.username else ""
    return f"{user}{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]

"""`booking backup` and `booking restore`: a consistent copy of the SQLite file while the server
runs, and putting one back; for PostgreSQL, the pg_dump and pg_restore commands to use instead.

A backup goes through SQLite's online backup API in one step: one read transaction, so the copy
is the database as of one instant while writers carry on (WAL). A restore checks that the file is
a sound booking database at a revision this code knows, refuses while another process has the
database open, then swaps it in atomically (a temporary file beside it, then `os.replace`).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from booking.config import Settings
from booking.migrate import HEAD_REVISION, known_revisions


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the user."""


@dataclass(frozen=True)
class Snapshot:
    """What a backup file holds: its schema revision and how many appointments."""

    path: Path
    revision: str
    appointments: int


def _open(path: Path, mode: str, timeout: float = 5.0) -> sqlite3.Connection:
    """Open an existing file (never create one): mode "ro" or "rw"."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=timeout)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _inspect(connection: sqlite3.Connection, label: str) -> tuple[str, int]:
    """(revision, appointment count) of a sound booking database, else BackupError."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{label} fails SQLite's integrity check: {problems[0]}")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if not {"alembic_version", "appointments"} <= tables:
            raise BackupError(f"{label} is not a booking database")
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        count = connection.execute("SELECT count(*) FROM appointments").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{label} is not a readable SQLite database ({exc})") from None
    if row is None:
        raise BackupError(f"{label} is not a booking database (no schema revision)")
    return str(row[0]), int(count)


def _temporary_beside(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _replace(temporary: Path, target: Path) -> None:
    """Make `temporary` durable, then put it at `target` in one step."""
    _fsync(temporary)
    os.replace(temporary, target)
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        _fsync(target.parent)


def backup_sqlite(database: Path, target: Path, *, timeout: float = 5.0) -> Snapshot:
    """Copy the live database to `target` (replaced atomically if it exists)."""
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give the backup file's path")
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError("the backup cannot overwrite the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(target)
    try:
        source = _open(database, "rw", timeout)
        try:
            copy = sqlite3.connect(temporary)
            try:
                source.backup(copy)  # all pages in one step: one consistent snapshot
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                revision, count = _inspect(copy, f"the database at {database}")
            finally:
                copy.close()
        finally:
            source.close()
        temporary.chmod(0o600)  # it holds customers' names and numbers
        _replace(temporary, target)
    except sqlite3.Error as exc:
        raise BackupError(f"could not back up {database}: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return Snapshot(target, revision, count)


def _ensure_not_in_use(database: Path) -> None:
    """Refuse while another connection has the database open (a running `booking serve`).

    In WAL mode every open connection holds a shared lock for as long as it is open, so an
    exclusive lock is only granted when nobody else has the file open. Closing this connection
    also checkpoints and removes a WAL left by a process that was killed.
    """
    if not database.exists():
        return
    probe = _open(database, "rw", timeout=0)
    try:
        probe.execute("PRAGMA locking_mode=EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        raise BackupError(
            f"the database at {database} is in use ({exc}); stop `booking serve` first"
        ) from None
    except sqlite3.DatabaseError:
        pass  # not a database at all (damaged): replacing it is what the user asked for
    finally:
        probe.close()


def restore_sqlite(backup: Path, database: Path, known_revisions: set[str]) -> Snapshot:
    """Put `backup` in place of `database`, after checking it; the server must be stopped."""
    if not backup.is_file():
        raise BackupError(f"there is no backup file at {backup}")
    if database.exists() and backup.resolve() == database.resolve():
        raise BackupError("the backup is the database itself")
    database.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(database)
    try:
        try:
            source = _open(backup, "ro")
        except sqlite3.Error as exc:
            raise BackupError(f"cannot open {backup}: {exc}") from None
        try:
            copy = sqlite3.connect(temporary)
            try:
                try:
                    source.backup(copy)
                except sqlite3.DatabaseError as exc:
                    raise BackupError(
                        f"{backup} is not a readable SQLite database ({exc})"
                    ) from None
                revision, count = _inspect(copy, str(backup))
                if revision not in known_revisions:
                    raise BackupError(
                        f"{backup} is at schema revision {revision}, which this version of "
                        "booking does not know"
                    )
                copy.execute("PRAGMA journal_mode=WAL")  # as `booking serve` runs it
            finally:
                copy.close()
        finally:
            source.close()
        _ensure_not_in_use(database)
        for stale in ("-wal", "-shm"):  # a log of the old file must never replay onto the new one
            Path(f"{database}{stale}").unlink(missing_ok=True)
        _replace(temporary, database)
    finally:
        temporary.unlink(missing_ok=True)
    return Snapshot(database, revision, count)


def postgres_commands(url: str, path: str) -> tuple[str, str]:
    """The pg_dump and pg_restore command lines for a PostgreSQL URL (password left out)."""
    given = make_url(url)
    server = URL.create(
        "postgresql",
        username=given.username,
        host=given.host,
        port=given.port,
        database=given.database,
        # asyncpg's `ssl` is libpq's `sslmode`
        query={("sslmode" if k == "ssl" else k): v for k, v in given.query.items()},
    )
    target = shlex.quote(server.render_as_string(hide_password=False))
    dump = f"pg_dump --format=custom --file={shlex.quote(path)} {target}"
    restore = f"pg_restore --clean --if-exists --no-owner --dbname={target} {shlex.quote(path)}"
    return dump, restore


def _postgres_advice(settings: Settings, path: str, verb: str) -> int:
    dump, restore = postgres_commands(settings.database_url, path)
    print(
        f"booking: {verb} works on the SQLite file only; for PostgreSQL use its own tools "
        "(the password from PGPASSWORD or ~/.pgpass):",
        file=sys.stderr,
    )
    print(dump if verb == "backup" else restore)
    return 1


def _sqlite_file(settings: Settings) -> Path:
    path = settings.sqlite_path()
    if path is None:
        raise BackupError("an in-memory database has nothing to back up or restore")
    return path


def run_backup(settings: Settings, path: str) -> int:
    """`booking backup PATH`."""
    if not settings.is_sqlite:
        return _postgres_advice(settings, path, "backup")
    try:
        database = _sqlite_file(settings)
        snapshot = backup_sqlite(
            database, Path(path), timeout=settings.sqlite_busy_timeout_ms / 1000
        )
    except BackupError as exc:
        print(f"booking: {exc}", file=sys.stderr)
        return 1
    print(
        f"backed up {database} to {snapshot.path} "
        f"(revision {snapshot.revision}, {snapshot.appointments} appointments)"
    )
    return 0


def run_restore(settings: Settings, path: str) -> int:
    """`booking restore PATH`."""
    if not settings.is_sqlite:
        return _postgres_advice(settings, path, "restore")
    known = known_revisions(settings.database_url)
    try:
        database = _sqlite_file(settings)
        snapshot = restore_sqlite(Path(path), database, known)
    except BackupError as exc:
        print(f"booking: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored {database} from {path} "
        f"(revision {snapshot.revision}, {snapshot.appointments} appointments)"
    )
    if snapshot.revision != HEAD_REVISION:
        print("the backup's schema is older than this version: run `booking migrate` next")
    return 0

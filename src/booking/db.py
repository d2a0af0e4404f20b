"""The async engine and session factories.

SQLite needs care to be safe under concurrency: Python's driver opens no transaction before a
SELECT, so "check, then insert" is not atomic. We take over BEGIN ourselves and write
transactions start with BEGIN IMMEDIATE, taking the write lock up front (notes/storage.md).
Within one process, SQLite writers also queue on an asyncio lock: waiting in SQLite's busy
handler polls with growing sleeps, which made 30 concurrent writers 4x slower than one after
another and let a burst of ~60 run past the busy timeout ("database is locked").
A SQLite file is reached through `sqlite_inline`, which runs statements on the loop's own thread
instead of hopping to aiosqlite's thread for each one (docs/performance.md has the difference).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from booking.errors import Unavailable
from booking.logging import get_logger
from booking.sqlite_inline import InlineConnection, inline_connector

log = get_logger(__name__)

_SQLITE_BEGIN = "sqlite_begin"


def _install_sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    database = engine.url.database
    private = Path(database) if database and database != ":memory:" else None

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        # First, since WAL may wait. An inline connection waits in asyncio instead (timeout 0).
        inline = isinstance(getattr(dbapi_connection, "_connection", None), InlineConnection)
        cursor.execute(f"PRAGMA busy_timeout={0 if inline else int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        mode = str((cursor.fetchone() or ("",))[0]).lower()
        if mode not in ("wal", "memory"):  # e.g. a network file system without shared memory
            log.warning("SQLite could not use WAL; readers will wait for writers", mode=mode)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (an erased customer) are overwritten with zeros, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        if private is not None:  # WAL mode has made the -wal and -shm files by now
            keep_private(private)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def keep_private(database: Path) -> None:
    """The database files readable by their owner alone, as backups are: they hold customers'
    names, numbers and call transcripts. Run as each connection opens (SQLite has just made
    the file, or the -wal and -shm beside it); a file made 0644 earlier is tightened too."""
    for file in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        with contextlib.suppress(OSError):  # not ours to change, or not there
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)


def checkpoint_wal(database: Path) -> None:
    """Fold the write-ahead log into the database file and empty it, so what was just deleted
    is not left readable in the log (blocking: call it in a thread)."""
    with contextlib.closing(sqlite3.connect(database, timeout=5)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def make_engine(url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> AsyncEngine:
    """Build the engine for a URL; for a SQLite file, create its folder and set the pragmas."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1].split("?", 1)[0]
        inline: dict[str, Any] = {}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if "?" not in url:  # URL options are aiosqlite's to read
                inline["async_creator"] = inline_connector(path, busy_timeout_ms / 1000)
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, **inline)
        _install_sqlite_pragmas(engine, busy_timeout_ms)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
    )


@dataclass(frozen=True)
class Database:
    """One engine and its two session factories: reads (deferred) and writes (immediate)."""

    engine: AsyncEngine
    _reads: async_sessionmaker[AsyncSession]
    _writes: async_sessionmaker[AsyncSession]
    _write_wait_seconds: float = 5.0
    # One queue of SQLite writers per event loop (an asyncio.Lock belongs to one loop).
    _write_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = field(
        default_factory=WeakKeyDictionary, repr=False, compare=False
    )

    @classmethod
    def from_engine(cls, engine: AsyncEngine, *, write_wait_seconds: float = 5.0) -> Database:
        writer = engine.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
        return cls(
            engine=engine,
            _reads=async_sessionmaker(engine, expire_on_commit=False),
            _writes=async_sessionmaker(writer, expire_on_commit=False),
            _write_wait_seconds=write_wait_seconds,
        )

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> Database:
        return cls.from_engine(
            make_engine(url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms),
            write_wait_seconds=busy_timeout_ms / 1000,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; its transaction is rolled back at the end."""
        async with _unavailable_on_connection_errors(), self._reads() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with (
            _unavailable_on_connection_errors(),
            self._sqlite_write_turn(),
            self._writes() as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def _sqlite_write_turn(self) -> AsyncIterator[None]:
        """On SQLite, wait (in order, without polling) for this process's other writers.

        Not a correctness device: BEGIN IMMEDIATE and the triggers still guard against other
        processes. Waiting longer than the busy timeout is `Unavailable`, as in SQLite.
        """
        if not self.is_sqlite:
            yield
            return
        turn = self._write_turns.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        try:
            async with asyncio.timeout(self._write_wait_seconds):
                await turn.acquire()
        except TimeoutError:
            raise Unavailable() from None
        try:
            yield
        finally:
            turn.release()

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def forget_deleted(self) -> None:
        """After deleting personal data: on a SQLite file, empty the write-ahead log, which
        still holds the rows as they were (PostgreSQL reclaims dead rows by itself)."""
        database = self.engine.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return
        try:
            await asyncio.to_thread(checkpoint_wal, Path(database))
        except sqlite3.Error:
            log.warning("could not empty the write-ahead log after an erasure")


# Deadlock detected, serialization failure: the database aborted the transaction, and running it
# again is safe. Two PostgreSQL transactions inserting overlapping ranges at once each wait for
# the other under the exclusion constraint, and one of them is chosen as the deadlock victim.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(exc: BaseException) -> bool:
    """Whether an error (or the `Unavailable` it became) means "run the transaction again"."""
    cause = exc.__cause__ if isinstance(exc, Unavailable) else exc
    if not isinstance(cause, DBAPIError):
        return False
    code = getattr(cause.orig, "sqlstate", None) or getattr(cause.orig, "pgcode", None)
    return code in _TRANSIENT_SQLSTATES


def _is_connection_problem(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(
        marker in text
        for marker in (
            "database is locked",
            "unable to open database",
            "connection",
            "terminating",
            "server closed",
            "disk i/o",
        )
    )


@asynccontextmanager
async def _unavailable_on_connection_errors() -> AsyncIterator[None]:
    """Turn a lost or locked database into the typed `Unavailable` error, never a raw 500."""
    try:
        yield
    except IntegrityError:
        raise
    except OperationalError as exc:
        raise Unavailable() from exc
    except DBAPIError as exc:
        if _is_connection_problem(exc) or is_transient(exc):
            raise Unavailable() from exc
        raise
    except PoolTimeoutError as exc:  # every pooled connection busy for the pool's timeout
        raise Unavailable() from exc
    except (OSError, ConnectionError) as exc:
        raise Unavailable() from exc

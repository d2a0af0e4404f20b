"""The async engine and session factories.

SQLite needs care to be safe under concurrency: Python's driver opens no transaction before a
SELECT, so "check, then insert" is not atomic. We take over BEGIN ourselves and write
transactions start with BEGIN IMMEDIATE, taking the write lock up front (notes/storage.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from booking.errors import Unavailable

_SQLITE_BEGIN = "sqlite_begin"


def _install_sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> AsyncEngine:
    """Build the engine for a URL; for a SQLite file, create its folder and set the pragmas."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
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

    @classmethod
    def from_engine(cls, engine: AsyncEngine) -> Database:
        writer = engine.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
        return cls(
            engine=engine,
            _reads=async_sessionmaker(engine, expire_on_commit=False),
            _writes=async_sessionmaker(writer, expire_on_commit=False),
        )

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000) -> Database:
        return cls.from_engine(
            make_engine(url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms)
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
            self._writes() as session,
            session.begin(),
        ):
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


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
        if _is_connection_problem(exc):
            raise Unavailable() from exc
        raise
    except (OSError, ConnectionError) as exc:
        raise Unavailable() from exc

"""SQLite for SQLAlchemy's async engine without a thread hop per statement.

aiosqlite runs every cursor call on a thread of its own and wakes the event loop for each answer:
a simple read is about nine such round trips, a booking over a hundred, and on a small machine
each costs far more than the SQLite work (about 20 microseconds a statement). This module gives
SQLAlchemy's aiosqlite dialect (through `async_creator`) a connection with the same async
interface that runs each statement directly on the calling loop's thread.

What keeps that from stalling the loop: the connection's own busy timeout is zero, so SQLite never
sleeps inside a call; a BEGIN (or COMMIT) refused because another process holds the write lock is
retried here with `asyncio.sleep` until the configured busy timeout has passed, and then fails as
SQLite would ("database is locked"). A BUSY inside a transaction is not retried: SQLite's answer
to it is to roll back. In WAL mode readers are never blocked, and within one process the
writers already queue on an asyncio lock (`booking.db`), so such waits only happen when another
process writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

_FIRST_WAIT = 0.001
_LONGEST_WAIT = 0.05


_SQLITE_BUSY = (
    5  # the plain code: not BUSY_SNAPSHOT (517) or BUSY_RECOVERY, which waiting cannot cure
)


def _worth_waiting(error: sqlite3.OperationalError, retryable: bool) -> bool:
    """SQLite's own advice: wait out a plain BUSY only on a statement that starts a transaction
    or on COMMIT; inside a transaction a BUSY means it must be rolled back, now."""
    return retryable and getattr(error, "sqlite_errorcode", None) == _SQLITE_BUSY


async def _retry_while_busy(
    run: Callable[[], Any], busy_timeout: float, retryable: bool = True
) -> Any:
    """Run `run()`; while SQLite answers BUSY, wait (without blocking the loop) and retry."""
    deadline: float | None = None
    wait = _FIRST_WAIT
    while True:
        try:
            return run()
        except sqlite3.OperationalError as error:
            if not _worth_waiting(error, retryable):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + busy_timeout
            if now >= deadline:
                raise
            await asyncio.sleep(min(wait, deadline - now))
            wait = min(wait * 2, _LONGEST_WAIT)


class InlineCursor:
    """An aiosqlite-shaped cursor over a sqlite3 cursor."""

    def __init__(self, cursor: sqlite3.Cursor, busy_timeout: float) -> None:
        self._cursor = cursor
        self._busy_timeout = busy_timeout
        self.arraysize = cursor.arraysize

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        arguments = () if parameters is None else parameters
        await _retry_while_busy(
            lambda: self._cursor.execute(sql, arguments),
            self._busy_timeout,
            retryable=not self._cursor.connection.in_transaction,
        )
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(rows)  # a retry must see the same rows again
        await _retry_while_busy(
            lambda: self._cursor.executemany(sql, rows),
            self._busy_timeout,
            retryable=not self._cursor.connection.in_transaction,
        )
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        while (row := self._cursor.fetchone()) is not None:
            yield row


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set isolation_level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """An aiosqlite-shaped connection whose calls run on the caller's thread."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout: float) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._busy_timeout = busy_timeout
        self._tx = _ImmediateQueue()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._busy_timeout)

    async def commit(self) -> None:
        await _retry_while_busy(self._conn.commit, self._busy_timeout)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate); nothing runs elsewhere to stop."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def inline_connector(path: str, busy_timeout: float) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine` that opens `path` with an inline connection."""

    async def connect() -> InlineConnection:
        # timeout=0: SQLite must never sleep on this thread; _retry_while_busy waits instead.
        # check_same_thread=False: the pool may hand a connection to another loop's thread
        # (tests, the CLI), never to two at once.
        raw = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        return InlineConnection(raw, busy_timeout)

    return connect

"""SQLite on the loop's own thread: another process's write lock is waited out in asyncio for a
BEGIN, up to the busy timeout, while a BUSY inside a transaction fails at once."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from booking.sqlite_inline import inline_connector


def _make(path: Path) -> None:
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (v INTEGER)")
    setup.commit()
    setup.close()


async def test_begin_waits_for_another_writer_without_blocking_the_loop(tmp_path: Path):
    """BEGIN IMMEDIATE while another connection holds the write lock waits (the loop keeps
    running meanwhile) and goes through once the lock is released."""
    path = tmp_path / "db.sqlite"
    _make(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    connection = await inline_connector(str(path), busy_timeout=5.0)()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    asyncio.get_running_loop().call_later(0.3, holder.rollback)
    began = time.monotonic()
    await connection.cursor().execute("BEGIN IMMEDIATE")
    waited = time.monotonic() - began
    await connection.cursor().execute("INSERT INTO t VALUES (1)")
    await connection.commit()
    ticker.cancel()
    assert 0.25 < waited < 2.0
    assert ticks >= 10  # the loop ran while the BEGIN waited
    assert holder.execute("SELECT v FROM t").fetchall() == [(1,)]
    holder.close()
    await connection.close()


async def test_begin_gives_up_after_the_busy_timeout(tmp_path: Path):
    """A write lock held longer than the busy timeout makes the BEGIN fail as SQLite would,
    "database is locked", after about that long."""
    path = tmp_path / "db.sqlite"
    _make(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    connection = await inline_connector(str(path), busy_timeout=0.3)()
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await connection.cursor().execute("BEGIN IMMEDIATE")
    assert 0.25 < time.monotonic() - began < 2.0
    holder.rollback()
    holder.close()
    await connection.close()


async def test_a_stale_snapshot_inside_a_transaction_fails_at_once(tmp_path: Path):
    """A deferred transaction that read, then tries to write after another connection committed,
    can never succeed (BUSY_SNAPSHOT): it fails at once instead of waiting out the timeout."""
    path = tmp_path / "db.sqlite"
    _make(path)
    connection = await inline_connector(str(path), busy_timeout=5.0)()
    await connection.cursor().execute("BEGIN DEFERRED")
    await (await connection.cursor().execute("SELECT count(*) FROM t")).fetchall()
    other = sqlite3.connect(path)
    other.execute("INSERT INTO t VALUES (2)")
    other.commit()
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError):
        await connection.cursor().execute("INSERT INTO t VALUES (3)")
    assert time.monotonic() - began < 0.5
    await connection.rollback()
    assert other.execute("SELECT v FROM t").fetchall() == [(2,)]
    other.close()
    await connection.close()

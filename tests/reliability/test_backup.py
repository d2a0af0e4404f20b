"""`booking backup` copies the SQLite database while another process keeps booking, and `booking
restore` puts a copy back only when it is a sound booking database and nobody has the file open."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from booking.backup import run_backup, run_restore
from booking.config import load_settings
from booking.db import Database
from booking.migrate import schema_state
from tests.factories import make_shop
from tests.reliability.checks import (
    book_after_recovery,
    half_written_rows,
    overlapping_pairs,
    sqlite_integrity,
    stored_appointments,
    utc,
)
from tests.reliability.processes import Worker, WorkerEnded, stream_config, workers


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _booking_cli(*args: str, database: Path, cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "booking",
        *args,
        env={**os.environ, "DATABASE_URL": _url(database)},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


class Acknowledgements:
    """Reads a stream worker's acknowledgements as they come (so it never blocks on a full
    pipe) until its output ends."""

    def __init__(self, worker: Worker, first: list[dict[str, Any]]) -> None:
        self.worker = worker
        self.lines = list(first)
        self._grew = asyncio.Event()
        self.reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                self.lines.append(await self.worker.line())
                self._grew.set()
        except WorkerEnded:
            self._grew.set()

    async def reach(self, count: int) -> None:
        while len(self.lines) < count and not self.reading.done():
            self._grew.clear()
            await self._grew.wait()


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "booking.db"
    path.parent.mkdir()
    shutil.copy(sqlite_template, path)
    return path


@pytest.mark.processes
async def test_backup_under_a_stream_of_bookings_restores_every_acknowledged_booking(
    sqlite_file: Path, tmp_path: Path
):
    """`booking backup` runs while another process books through the HTTP API (four clients),
    which keeps getting bookings acknowledged meanwhile; `booking restore` then puts the copy in
    place of the database, which passes the integrity and overlap checks, has no half-written
    rows, holds every booking acknowledged before the backup began (with its time), holds nothing
    that was never acknowledged, and takes new bookings."""
    db = Database.from_url(_url(sqlite_file))
    shop = await make_shop(db)
    await db.dispose()
    stream = stream_config(shop, _url(sqlite_file), "backup")
    backup = tmp_path / "backups" / "booking-backup.db"
    async with workers([stream], tmp_path) as [worker]:
        assert await worker.line() == "ready"
        before = [await worker.line() for _ in range(20)]
        acknowledged = Acknowledgements(worker, before)

        code, out, err = await _booking_cli(
            "backup", str(backup), database=sqlite_file, cwd=tmp_path
        )

        assert (code, err) == (0, ""), err
        assert "backed up" in out
        during = len(acknowledged.lines) - len(before)
        await acknowledged.reach(len(acknowledged.lines) + 10)  # some after the copy, then stop
        await worker.send("stop")
        await acknowledged.reading
        assert await worker.process.wait() == 0
    assert all("unexpected" not in ack for ack in acknowledged.lines), acknowledged.lines
    assert during > 0, "no booking was acknowledged while the backup command ran"
    assert _sidecars(backup) == []

    settings = load_settings(database_url=_url(sqlite_file))
    assert await asyncio.to_thread(run_restore, settings, str(backup)) == 0

    assert sqlite_integrity(sqlite_file) == ["ok"]
    db = Database.from_url(_url(sqlite_file))
    try:
        assert await schema_state(db.engine) == "current"
        assert await overlapping_pairs(db) == []
        assert await half_written_rows(db) == []
        stored = await stored_appointments(db)
        for ack in before:
            expected = (ack["staff_id"], utc(ack["starts_at"]), utc(ack["ends_at"]), "booked")
            assert stored.get(ack["id"]) == expected, ack
        assert set(stored) <= {ack["id"] for ack in acknowledged.lines}
        assert len(stored) < len(acknowledged.lines)  # the copy is of its moment, not of the end
        assert await book_after_recovery(db, shop) in await stored_appointments(db)
    finally:
        await db.dispose()


async def test_restore_refuses_while_the_database_is_open_elsewhere(
    sqlite_file: Path, tmp_path: Path
):
    """While a server has the database open (idle pooled connections), `booking restore` exits
    1 saying the database is in use and leaves it as it was; once closed, the restore goes ahead."""
    settings = load_settings(database_url=_url(sqlite_file))
    copy = str(tmp_path / "copy.db")
    assert await asyncio.to_thread(run_backup, settings, copy) == 0
    db = Database.from_url(_url(sqlite_file))
    try:
        await make_shop(db)  # leaves connections open in the pool, as a server does
        code, _, err = await _booking_cli("restore", copy, database=sqlite_file, cwd=tmp_path)
        assert code == 1
        assert "is in use" in err and "stop `booking serve` first" in err
        assert _businesses(sqlite_file) == 1
    finally:
        await db.dispose()
    assert await asyncio.to_thread(run_restore, settings, copy) == 0
    assert _businesses(sqlite_file) == 0


def _businesses(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("SELECT count(*) FROM businesses").fetchone()[0])


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)


def _other_sqlite(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.commit()


def _unknown_revision(path: Path, template: Path) -> None:
    shutil.copy(template, path)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
        connection.commit()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("garbage", "not a readable SQLite database"),
        ("other", "not a booking database"),
        ("future", "revision f00dfeed, which this version of booking does not know"),
        ("missing", "no backup file"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_known_booking_database(
    kind: str, message: str, sqlite_file: Path, sqlite_template: Path, tmp_path: Path, capsys
):
    """`booking restore` of random bytes, of another application's SQLite file, of a booking
    database at a revision this code does not know, or of a missing file: exit 1 naming the
    problem; the configured database is untouched and no temporary file is left beside it."""
    candidate = tmp_path / f"{kind}.db"
    if kind == "garbage":
        _not_sqlite(candidate)
    elif kind == "other":
        _other_sqlite(candidate)
    elif kind == "future":
        _unknown_revision(candidate, sqlite_template)
    original = sqlite_file.read_bytes()

    code = run_restore(load_settings(database_url=_url(sqlite_file)), str(candidate))

    assert code == 1
    assert message in capsys.readouterr().err
    assert sqlite_file.read_bytes() == original
    assert sorted(p.name for p in sqlite_file.parent.iterdir()) == ["booking.db"]


async def test_restore_over_a_crashed_database_ignores_its_stale_wal(
    sqlite_file: Path, tmp_path: Path
):
    """A process killed while writing leaves a -wal and -shm beside the database; restoring a
    backup over it yields exactly the backup's contents (the old log is not replayed onto it) and
    leaves no stale -wal or -shm."""
    settings = load_settings(database_url=_url(sqlite_file))
    assert run_backup(settings, str(tmp_path / "empty.db")) == 0
    crash = (  # commit into the WAL, then die without closing (no checkpoint)
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=WAL')\n"
        "c.execute('CREATE TABLE crashed (x)')\n"
        "os._exit(9)\n"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", crash, str(sqlite_file))
    assert await process.wait() == 9
    assert _sidecars(sqlite_file) == ["-shm", "-wal"]

    assert await asyncio.to_thread(run_restore, settings, str(tmp_path / "empty.db")) == 0

    assert "crashed" not in _tables(sqlite_file)
    assert sqlite_integrity(sqlite_file) == ["ok"]
    assert _sidecars(sqlite_file) == []


def _sidecars(path: Path) -> list[str]:
    return [s for s in ("-shm", "-wal") if Path(f"{path}{s}").exists()]


def _tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}


def test_restore_onto_a_new_machine_creates_the_database(sqlite_file: Path, tmp_path: Path):
    """A backup restores where no database exists yet (a new machine, its folder missing too);
    the backup file itself is readable by its owner only."""
    backup = tmp_path / "backup.db"
    assert run_backup(load_settings(database_url=_url(sqlite_file)), str(backup)) == 0
    fresh = tmp_path / "new-machine" / "data" / "booking.db"

    assert run_restore(load_settings(database_url=_url(fresh)), str(backup)) == 0

    assert sqlite_integrity(fresh) == ["ok"]
    assert _tables(fresh) == _tables(sqlite_file)
    assert backup.stat().st_mode & 0o777 == 0o600


def test_backup_and_restore_on_postgresql_print_the_pg_commands(tmp_path: Path, capsys):
    """With a PostgreSQL DATABASE_URL, `booking backup` and `booking restore` exit 1 and print
    the pg_dump and pg_restore commands for that database (without its password)."""
    settings = load_settings(database_url="postgresql+asyncpg://shop:s3cret@db.internal:5433/shop")
    target = str(tmp_path / "shop.dump")

    assert run_backup(settings, target) == 1
    dumped = capsys.readouterr()
    assert run_restore(settings, target) == 1
    restored = capsys.readouterr()

    assert dumped.out.strip() == (
        f"pg_dump --format=custom --file={target} postgresql://shop@db.internal:5433/shop"
    )
    assert restored.out.strip() == (
        "pg_restore --clean --if-exists --no-owner "
        f"--dbname=postgresql://shop@db.internal:5433/shop {target}"
    )
    assert "s3cret" not in dumped.out + dumped.err + restored.out + restored.err
    assert "pg_dump" not in dumped.err and "PostgreSQL" in dumped.err

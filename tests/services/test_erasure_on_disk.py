"""After an erasure nothing of the customer is left in the SQLite files on disk, and those
files are readable by their owner alone."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from booking.agent.caller import CallerLine, identify_call
from booking.services import calls, customers, webhooks
from booking.services.erasure import erase_customer
from tests.conftest import NOW

NAME = "Zebulon Quixotewright"
NUMBER = "+12125550777"
SECRET = "allergic-to-xyzzy-dye"


def files_of(database: Path) -> list[Path]:
    return [p for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm")) if p.exists()]


async def test_an_erased_customer_leaves_no_bytes_on_disk(db, shop):
    """Name, number, notes, transcript and webhook payload of an erased customer appear in
    none of the database's files (main file, write-ahead log, shared memory) right after."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL keeps its own files; this is the SQLite file's promise")
    await webhooks.create_subscription(
        db, shop.business_id, "https://hooks.example.com/x", ["message.taken"]
    )
    zeb = await customers.create_customer(
        db, shop.business_id, phone=NUMBER, name=NAME, notes=f"Notes: {SECRET}"
    )
    line = CallerLine(caller=NUMBER, dialled="+12125550100", room_name="room")
    setup = await identify_call(db, line, None, NOW)
    assert setup is not None
    await calls.append_transcript(
        db, setup.call_id, [{"role": "user", "text": f"I'm {NAME}, {SECRET}", "at": "now"}]
    )
    await calls.take_message(
        db, shop.business_id, body=f"Call {NAME} back about {SECRET}",
        caller_name=NAME, callback_number=NUMBER, customer_id=zeb.id, call_id=setup.call_id,
    )  # fmt: skip
    database = Path(db.engine.url.database or "")
    before = b"".join(p.read_bytes() for p in files_of(database))
    assert NAME.encode() in before  # the check below can find what it looks for

    await erase_customer(db, shop.business_id, zeb.id, now=NOW)

    for file in files_of(database):
        content = file.read_bytes()
        for trace in (NAME, NUMBER, SECRET, "Quixotewright"):
            assert trace.encode() not in content, f"{trace!r} is still in {file.name}"


async def test_database_files_are_private(db, shop):
    """The database and its -wal and -shm files are 0600, as backups are."""
    if not db.is_sqlite:
        pytest.skip("only a SQLite database is a file of ours")
    database = Path(db.engine.url.database or "")
    found = files_of(database)
    assert database in found
    for file in found:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name

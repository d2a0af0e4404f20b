"""Checks every reliability test ends with: the overlap query, SQLite's integrity check, and
what the database holds for a set of appointments."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy import text

from booking.db import Database
from booking.services import appointments
from tests.conftest import NOW
from tests.factories import Shop

# Two booked appointments of one staff member whose blocked ranges [starts_at, blocked_until)
# overlap. SQLite stores instants as UTC text in one fixed format, so text comparison is time order.
OVERLAP_SQL = """
SELECT a.id, b.id FROM appointments a
JOIN appointments b ON a.staff_id = b.staff_id AND a.id < b.id
WHERE a.status = 'booked' AND b.status = 'booked'
  AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until
"""


async def overlapping_pairs(db: Database) -> list[tuple[int, int]]:
    async with db.read() as session:
        return [(int(a), int(b)) for a, b in (await session.execute(text(OVERLAP_SQL))).all()]


def sqlite_integrity(path: Path) -> list[str]:
    """PRAGMA integrity_check and foreign_key_check: ['ok'] for a sound file."""
    connection = sqlite3.connect(path)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
        result += [repr(row) for row in connection.execute("PRAGMA foreign_key_check")]
        return result
    finally:
        connection.close()


def utc(instant: datetime | str) -> datetime:
    """An instant from a database row or a report, as an aware UTC datetime."""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


async def stored_appointments(db: Database) -> dict[int, tuple[int, datetime, datetime, str]]:
    """Every appointment: id -> (staff_id, starts_at, ends_at, status)."""
    async with db.read() as session:
        rows = await session.execute(
            text("SELECT id, staff_id, starts_at, ends_at, status FROM appointments")
        )
        return {int(row[0]): (int(row[1]), utc(row[2]), utc(row[3]), str(row[4])) for row in rows}


async def half_written_rows(db: Database) -> list[str]:
    """Rows a torn transaction would leave: an idempotency record without its appointment, an
    appointment of a keyed stream without its record, or an appointment with impossible times."""
    async with db.read() as session:
        orphans = await session.execute(
            text(
                "SELECT r.key FROM idempotency_records r LEFT JOIN appointments a "
                "ON a.id = r.resource_id WHERE a.id IS NULL"
            )
        )
        unkeyed = await session.execute(
            text(
                "SELECT a.id FROM appointments a LEFT JOIN idempotency_records r "
                "ON r.resource_id = a.id WHERE r.key IS NULL"
            )
        )
        bad_times = await session.execute(
            text(
                "SELECT id FROM appointments "
                "WHERE NOT (ends_at > starts_at AND blocked_until >= ends_at)"
            )
        )
        return (
            [f"record {key} without appointment" for (key,) in orphans]
            + [f"appointment {id_} without record" for (id_,) in unkeyed]
            + [f"appointment {id_} with impossible times" for (id_,) in bad_times]
        )


async def book_after_recovery(db: Database, shop: Shop) -> int:
    """A new booking (Monday 15:00, a time no stream uses), to show the database takes writes."""
    booked = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=shop.ada,
            staff_id=shop.sam,
            local_date=NOW.date(),  # Monday afternoon: the streams start on Tuesday
            local_time=time(15),
            duration_minutes=30,
        ),
        now=NOW,
    )
    return booked.id

"""Several OS processes, each with many tasks, book and move overlapping times for the same staff
members on one database (a SQLite file, then PostgreSQL): the database keeps them apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from booking.db import Database
from tests.conftest import NOW
from tests.factories import Shop
from tests.reliability.checks import overlapping_pairs, stored_appointments, utc
from tests.reliability.processes import staff_config, workers

PROCESSES = 3
TASKS = 6
OPS = 8
DAYS = ["2026-12-01", "2026-12-02"]  # a Tuesday and a Wednesday: both staff work mornings


@pytest.mark.processes
async def test_processes_booking_and_moving_the_same_times_never_overlap(
    db: Database, shop: Shop, tmp_path: Path
):
    """Three processes x 6 tasks x 8 operations (book, move, cancel) on the same two staff
    mornings: no two booked appointments of a staff member overlap (checked in SQL), every success
    a worker reported is stored with the reported staff, time and status, nothing unreported is
    stored, and every refusal was a clean SlotUnavailable."""
    base = {
        "mode": "contend",
        "url": db.engine.url.render_as_string(hide_password=False),
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff": staff_config(shop),
        "days": DAYS,
        "now": NOW.isoformat(),
        "tasks": TASKS,
        "ops": OPS,
    }
    async with workers([{**base, "seed": n} for n in range(PROCESSES)], tmp_path) as started:
        for worker in started:
            assert await worker.line() == "ready"
        for worker in started:  # all connected: now they start at once
            await worker.send("go")
        reports = await asyncio.gather(*(worker.line(within=60) for worker in started))
        for worker in started:
            assert await worker.process.wait() == 0

    outcomes: Counter[str] = Counter()
    reported: dict[int, dict[str, object]] = {}
    for report in reports:
        outcomes.update(report["outcomes"])
        reported.update({int(k): v for k, v in report["appointments"].items()})
    unexpected = {k: n for k, n in outcomes.items() if k not in EXPECTED_OUTCOMES}
    assert unexpected == {}
    assert sum(outcomes.values()) == PROCESSES * TASKS * OPS
    assert outcomes["booked"] > 10 and outcomes["SlotUnavailable"] > 50, outcomes
    assert outcomes["moved"] > 0, outcomes

    assert await overlapping_pairs(db) == []
    stored = await stored_appointments(db)
    assert set(stored) == set(reported)
    for appointment_id, row in reported.items():
        expected = (row["staff_id"], utc(row["starts_at"]), utc(row["ends_at"]), row["status"])
        assert stored[appointment_id] == expected, appointment_id


EXPECTED_OUTCOMES = {"booked", "moved", "cancelled", "SlotUnavailable"}

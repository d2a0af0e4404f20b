"""Case 4: bookings per second, and a contended burst with correctness counted in the same run.

Non-conflicting: every booking is a distinct staff member and time, made through the service
(`appointments.book` with an idempotency key, as the tool and the API call it), one after another
and from 20 concurrent writers in one process. On SQLite (an empty book and a book of 100,000)
and on PostgreSQL. Contended: 100 writers at once on 8 overlapping half-hour times of one staff
member; afterwards the database is checked for overlaps and for every acknowledged booking.
Target: at least 300 bookings/s on SQLite.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections import Counter
from datetime import date, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import text

from benchmarks.common import (
    BenchShop,
    fill_book,
    make_bench_shop,
    new_sqlite_url,
    postgres_version,
    print_table,
    scratch_postgres,
    sqlite_path,
    today_local,
    verdict,
    working_days,
)
from booking import errors
from booking.db import Database
from booking.services import appointments

TARGET_PER_SECOND = 300.0
WRITERS = 20
BURST_WRITERS = 100
BURST_STARTS = [clock_time(10, 15 * i) if i < 4 else clock_time(11, 15 * (i - 4)) for i in range(8)]


def _request(shop: BenchShop, staff_id: int, day: date, at: clock_time, customer: int) -> Any:
    return appointments.BookingRequest(
        business_id=shop.business_id,
        customer_id=customer,
        staff_id=staff_id,
        local_date=day,
        local_time=at,
        duration_minutes=30,
    )


def _cells(shop: BenchShop, count: int, first: date) -> list[tuple[int, date, clock_time]]:
    """`count` distinct half-hour cells (staff, day, time) that do not overlap one another."""
    cells = []
    for day in working_days(first, 60):
        for half_hour in range(16):
            for staff_id in shop.staff_ids:
                cells.append((staff_id, day, clock_time(9 + half_hour // 2, 30 * (half_hour % 2))))
                if len(cells) == count:
                    return cells
    raise ValueError("not enough free cells")


async def throughput(
    db: Database, shop: BenchShop, count: int, writers: int, first: date, tag: str
) -> tuple[float, Counter[str]]:
    cells = _cells(shop, count, first)
    random.Random(tag).shuffle(cells)
    queue: asyncio.Queue[tuple[int, tuple[int, date, clock_time]]] = asyncio.Queue()
    for item in enumerate(cells):
        queue.put_nowait(item)
    outcomes: Counter[str] = Counter()

    async def writer() -> None:
        while not queue.empty():
            number, (staff_id, day, at) = queue.get_nowait()
            customer = shop.customer_ids[number % len(shop.customer_ids)]
            try:
                await appointments.book(
                    db,
                    _request(shop, staff_id, day, at, customer),
                    idempotency_key=f"{tag}-{number}",
                )
                outcomes["booked"] += 1
            except errors.BookingError as exc:
                outcomes[type(exc).__name__] += 1

    began = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return count / (time.perf_counter() - began), outcomes


async def burst(db: Database, shop: BenchShop, day: date, tag: str) -> dict[str, Any]:
    staff_id = shop.staff_ids[0]
    rng = random.Random(tag)
    acknowledged: list[int] = []
    outcomes: Counter[str] = Counter()
    gate = asyncio.Event()

    async def writer(number: int) -> None:
        at = rng.choice(BURST_STARTS)
        await gate.wait()
        try:
            booked = await appointments.book(
                db,
                _request(shop, staff_id, day, at, shop.customer_ids[number % 50]),
                idempotency_key=f"{tag}-{number}",
            )
            acknowledged.append(booked.id)
            outcomes["booked"] += 1
        except errors.SlotUnavailable:
            outcomes["refused"] += 1
        except Exception as exc:
            outcomes[f"error {type(exc).__name__}"] += 1

    tasks = [asyncio.create_task(writer(n)) for n in range(BURST_WRITERS)]
    await asyncio.sleep(0)
    began = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - began
    async with db.read() as session:
        overlaps = await session.scalar(
            text(
                "SELECT count(*) FROM appointments a JOIN appointments b "
                "ON a.staff_id = b.staff_id AND a.id < b.id "
                "AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until "
                "WHERE a.status = 'booked' AND b.status = 'booked' AND a.staff_id = :staff"
            ),
            {"staff": staff_id},
        )
        present = set(
            await session.scalars(
                text("SELECT id FROM appointments WHERE status = 'booked' AND staff_id = :staff"),
                {"staff": staff_id},
            )
        )
    return {
        "seconds": seconds,
        "outcomes": outcomes,
        "overlaps": int(overlaps or 0),
        "missing": len(set(acknowledged) - present),
        "stored": len(present),
    }


async def _run_database(
    label: str, url: str, shop: BenchShop, count: int, first: date
) -> dict[str, Any]:
    db = Database.from_url(url)
    try:
        await throughput(db, shop, 30, 4, first + timedelta(days=40), f"{label}-warm")
        sequential = await throughput(db, shop, count // 2, 1, first, f"{label}-seq")
        concurrent = await throughput(
            db, shop, count, WRITERS, first + timedelta(days=14), f"{label}-conc"
        )
        contended = await burst(db, shop, first + timedelta(days=50), f"{label}-burst")
    finally:
        await db.dispose()
    return {"sequential": sequential, "concurrent": concurrent, "burst": contended}


async def measure(quick: bool = False) -> dict[str, Any]:
    count = 150 if quick else 300
    first = working_days(today_local() + timedelta(days=2), 1)[0]
    template = await new_sqlite_url("bookings")
    db = Database.from_url(template)
    shop = await make_bench_shop(db, staff_count=10, customer_count=100, horizon_days=90)
    await db.dispose()
    results: dict[str, Any] = {}
    empty = await new_sqlite_url("bookings-empty")
    shutil.copy(sqlite_path(template), sqlite_path(empty))
    results["SQLite, empty book"] = await _run_database("sqlite", empty, shop, count, first)
    big = await new_sqlite_url("bookings-big")
    shutil.copy(sqlite_path(template), sqlite_path(big))
    # 100,000 appointments over three years, leaving the weeks booked here free.
    fill_book(big, shop, 100_000, keep_free=(first, first + timedelta(days=56)))
    results["SQLite, 100,000 in the book"] = await _run_database("big", big, shop, count, first)
    if await postgres_version() is None:
        results["PostgreSQL, empty book"] = None
        return results
    async with scratch_postgres() as pg_url:
        pg = Database.from_url(pg_url)
        pg_shop = await make_bench_shop(pg, staff_count=10, customer_count=100, horizon_days=90)
        await pg.dispose()
        results["PostgreSQL, empty book"] = await _run_database(
            "postgres", pg_url, pg_shop, count, first
        )
    return results


def report(results: dict[str, Any]) -> bool:
    rows = []
    burst_rows = []
    for label, result in results.items():
        if result is None:
            rows.append((label, "skipped: no PostgreSQL", "-", "-"))
            burst_rows.append((label, "skipped", "-", "-", "-", "-", "-", "-"))
            continue
        seq_rate, seq_outcomes = result["sequential"]
        conc_rate, conc_outcomes = result["concurrent"]
        rows.append(
            (label, f"{seq_rate:.0f}", f"{conc_rate:.0f}", _others(seq_outcomes + conc_outcomes))
        )
        b = result["burst"]
        outcomes = b["outcomes"]
        errors_seen = sum(n for k, n in outcomes.items() if k.startswith("error"))
        burst_rows.append(
            (
                label,
                BURST_WRITERS,
                outcomes["booked"],
                outcomes["refused"],
                errors_seen,
                b["overlaps"],
                b["missing"],
                f"{b['seconds'] * 1000:.0f}",
            )
        )
    print_table(
        "Case 4a: bookings per second (non-conflicting), one process",
        ["database", "1 writer /s", f"{WRITERS} writers /s", "not booked"],
        rows,
        "Each booking is appointments.book with an idempotency key: the service call behind "
        "both the tool and POST /api/appointments.",
    )
    print_table(
        f"Case 4b: contended burst, {BURST_WRITERS} writers at once on 8 overlapping half-hour "
        "times of one staff member",
        [
            "database",
            "writers",
            "booked",
            "refused (taken)",
            "errors",
            "overlaps stored",
            "acknowledged but missing",
            "burst ms",
        ],
        burst_rows,
        "Correct means: no overlaps stored, nothing acknowledged missing, no errors; the 8 "
        "start times 15 minutes apart admit at most 4 bookings.",
    )
    sqlite_rate = results["SQLite, empty book"]["concurrent"][0]
    big_rate = results["SQLite, 100,000 in the book"]["concurrent"][0]
    correct = all(
        r is None
        or (
            r["burst"]["overlaps"] == 0
            and r["burst"]["missing"] == 0
            and not any(k.startswith("error") for k in r["burst"]["outcomes"])
        )
        for r in results.values()
    )
    met = sqlite_rate >= TARGET_PER_SECOND
    print_table(
        "Case 4: targets",
        ["target", "measured", "verdict"],
        [
            (
                f">= {TARGET_PER_SECOND:g} bookings/s on SQLite ({WRITERS} writers, empty book)",
                f"{sqlite_rate:.0f}/s",
                verdict(met),
            ),
            (
                f">= {TARGET_PER_SECOND:g} bookings/s on SQLite with 100,000 in the book",
                f"{big_rate:.0f}/s",
                verdict(big_rate >= TARGET_PER_SECOND),
            ),
            ("contended burst correct on every database", "see 4b", verdict(correct)),
        ],
    )
    return met and correct


def _others(outcomes: Counter[str]) -> str:
    refused = {k: n for k, n in outcomes.items() if k != "booked"}
    return ", ".join(f"{k} {n}" for k, n in refused.items()) or "0"


def main(quick: bool = False) -> bool:
    return report(asyncio.run(measure(quick)))


if __name__ == "__main__":
    main()

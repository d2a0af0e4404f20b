"""The database: reachable, migrated to this version, and every business's numbers in E.164."""

from __future__ import annotations

import asyncio
from pathlib import Path

import phonenumbers
from sqlalchemy import select

from booking.db import Database
from booking.doctor.result import CheckResult, failed, passed, skipped
from booking.migrate import HEAD_REVISION, schema_state
from booking.models import Business
from booking.services.businesses import BusinessInfo, get_business

DATABASE_WAIT_SECONDS = 10.0
MIGRATE = "run `booking migrate` (or `make migrate`)"


async def check_database(
    db: Database, *, sqlite_file: Path | None = None, within: float = DATABASE_WAIT_SECONDS
) -> CheckResult:
    """Connect and compare the schema with this code's migrations, as `booking serve` does
    before it starts (it refuses a database that is behind). A SQLite file that does not
    exist is reported, not created."""
    if sqlite_file is not None and not await asyncio.to_thread(sqlite_file.exists):
        return failed("database", f"no database file at {sqlite_file}", MIGRATE)
    try:
        async with asyncio.timeout(within):
            state = await schema_state(db.engine)
    except TimeoutError:
        return failed(
            "database",
            f"no answer from the database within {within:g} s",
            "check DATABASE_URL's host and port, and that the server is running",
        )
    except Exception as exc:  # any driver's refusal: the message says which
        return failed(
            "database",
            f"cannot connect: {_first_line(exc)}",
            "check DATABASE_URL (host, port, user, password, database name or file path)",
        )
    if state == "behind":
        return failed("database", "the schema is behind this version (or empty)", MIGRATE)
    if state == "ahead":
        return failed(
            "database",
            "the schema was migrated by a newer version of booking",
            "run the newer version, or restore a backup made by this one",
        )
    return passed("database", f"reachable, schema at revision {HEAD_REVISION}")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
    return text.strip().splitlines()[0][:200]


async def read_businesses(db: Database) -> list[BusinessInfo]:
    """Every business with its numbers, read through the businesses service."""
    async with db.read() as session:
        ids = list(await session.scalars(select(Business.id).order_by(Business.id)))
    return [await get_business(db, business_id) for business_id in ids]


def is_e164(number: str) -> bool:
    """A valid number written exactly as E.164, as LiveKit reports the number dialled."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    )


def check_numbers(businesses: list[BusinessInfo] | None) -> CheckResult:
    """Each business has a number that rings it, and every number is E.164, or calls to it
    would never find the business."""
    if businesses is None:
        return skipped("business numbers", "the database is not usable: not checked")
    if not businesses:
        return failed(
            "business numbers",
            "the database has no business",
            "create one: booking create-business --name ... --number ... (or booking seed-demo)",
        )
    problems = [f"{b.name} (id {b.id}) has no number" for b in businesses if not b.numbers]
    problems += [
        f"{b.name} (id {b.id}): {number!r} is not a valid E.164 number"
        for b in businesses
        for number in b.numbers
        if not is_e164(number)
    ]
    if problems:
        return failed(
            "business numbers",
            "; ".join(problems),
            'set the numbers callers dial: PATCH /api/business {"numbers": ["+1 212 555 0100"]}',
        )
    count = sum(len(b.numbers) for b in businesses)
    return passed("business numbers", f"{len(businesses)} business(es), {count} number(s), E.164")

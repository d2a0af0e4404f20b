"""`UTCDateTime`: every instant comes back aware and in UTC, whatever wrote it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from booking.db import Database
from booking.models import Customer
from booking.services.customers import get_customer
from tests.factories import Shop


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2027-03-14 06:30:00.250000", datetime(2027, 3, 14, 6, 30, 0, 250000, tzinfo=UTC)),
        ("2027-03-14 06:30:00", datetime(2027, 3, 14, 6, 30, tzinfo=UTC)),
        ("2027-03-14T06:30:00", datetime(2027, 3, 14, 6, 30, tzinfo=UTC)),
        ("2027-03-14 01:30:00-05:00", datetime(2027, 3, 14, 6, 30, tzinfo=UTC)),
        ("2027-03-14 06:30:00+00:00", datetime(2027, 3, 14, 6, 30, tzinfo=UTC)),
        ("2027-03-14", datetime(2027, 3, 14, tzinfo=UTC)),
        ("2027-03-14T06:30Z", datetime(2027, 3, 14, 6, 30, tzinfo=UTC)),
    ],
)
async def test_sqlite_text_in_any_iso_form_reads_as_the_instant_it_names(
    db: Database, shop: Shop, stored: str, expected: datetime
) -> None:
    """On SQLite, text written by other tools (with or without fractions, a T, an offset, or
    only a date) is read as the instant it names, aware and in UTC."""
    if not db.is_sqlite:
        pytest.skip("SQLite keeps instants as text; PostgreSQL has timestamptz")
    async with db.write() as session:
        await session.execute(
            text("UPDATE customers SET created_at = :stored WHERE id = :id"),
            {"stored": stored, "id": shop.ada},
        )
    found = await get_customer(db, shop.business_id, shop.ada)
    assert found.created_at == expected
    assert found.created_at.utcoffset() == timedelta(0)


async def test_an_instant_in_any_zone_round_trips_as_the_same_utc_instant(
    db: Database, shop: Shop
) -> None:
    """An aware instant in any zone is stored and read back as the same instant, in UTC."""
    written = datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=-5)))
    async with db.write() as session:
        customer = await session.get(Customer, shop.ada)
        assert customer is not None
        customer.created_at = written
    found = await get_customer(db, shop.business_id, shop.ada)
    assert found.created_at == written
    assert found.created_at.utcoffset() == timedelta(0)

"""Migrations: upgrade, downgrade to nothing and upgrade again on a fresh database; the migrated
schema matches the models (no drift); `schema_state` tells behind from current."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, Integer, MetaData, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from booking import migrate
from booking.db import make_engine
from booking.models import Base
from tests.conftest import (
    NO_POSTGRES,
    new_postgres_database,
    on_postgres_server,
    postgres_server_url,
)

SQLITE_TRIGGERS = {"appointments_no_overlap_insert", "appointments_no_overlap_update"}
EXCLUSION = "ex_appointments_no_overlap"


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a new, empty database: a SQLite file, or a PostgreSQL database created for
    this test and dropped after it."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        await engine.dispose()
        return
    if postgres_server_url() is None:
        pytest.skip(NO_POSTGRES)
    url, name = new_postgres_database()
    await on_postgres_server(f'CREATE DATABASE "{name}"')
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await on_postgres_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _diffs(connection: Connection, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to make the database match `metadata`, with the options
    migrations/env.py uses. It compares tables, columns, types, nullability, indexes, unique and
    foreign keys; it does not look at CHECK constraints, the PostgreSQL exclusion constraint or
    the SQLite triggers (checked separately below), so it reports nothing for them: no item is
    filtered out here."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _drift(engine: AsyncEngine, metadata: MetaData = Base.metadata) -> list[Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(_diffs, metadata)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def _overlap_guards(engine: AsyncEngine) -> set[str]:
    """The names of the database's own no-double-booking guards that exist."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            )
        else:
            rows = await connection.execute(
                text("SELECT conname FROM pg_constraint WHERE contype = 'x'")
            )
        return {row[0] for row in rows}


def _expected_guards(engine: AsyncEngine) -> set[str]:
    return SQLITE_TRIGGERS if engine.dialect.name == "sqlite" else {EXCLUSION}


async def test_upgrade_downgrade_upgrade_round_trip(fresh):
    """Upgrade creates every model table and the overlap guard; downgrade to base leaves no table
    but Alembic's (empty) version table and no guard; upgrading again works."""
    model_tables = set(Base.metadata.tables)

    await migrate.upgrade(fresh)
    assert await _tables(fresh) == model_tables | {"alembic_version"}
    assert await _overlap_guards(fresh) == _expected_guards(fresh)

    await migrate.downgrade(fresh, "base")
    assert await _tables(fresh) == {"alembic_version"}
    assert await _overlap_guards(fresh) == set()
    assert await migrate.current_revision(fresh) is None

    await migrate.upgrade(fresh)
    assert await _tables(fresh) == model_tables | {"alembic_version"}
    assert await _overlap_guards(fresh) == _expected_guards(fresh)
    assert await _drift(fresh) == []


async def test_migrated_schema_matches_the_models(fresh):
    """After upgrade, autogenerate finds no difference between the database and the models."""
    await migrate.upgrade(fresh)

    assert await _drift(fresh) == []


async def test_drift_check_catches_a_model_change(fresh):
    """The drift check is not blind: a column and an index added to a copy of the models are
    reported as differences."""
    await migrate.upgrade(fresh)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    appointments = changed.tables["appointments"]
    appointments.append_column(Column("reminder_minutes", Integer, nullable=True))
    Index("ix_appointments_reminder", appointments.c.reminder_minutes)

    diffs = await _drift(fresh, changed)

    kinds = sorted(
        (d[0], d[2], d[3].name) if d[0] == "add_column" else (d[0], d[1].table.name, d[1].name)
        for d in diffs
    )
    assert kinds == [
        ("add_column", "appointments", "reminder_minutes"),
        ("add_index", "appointments", "ix_appointments_reminder"),
    ]


def test_head_revision_constant_matches_the_migration_scripts():
    """The quick schema check compares with HEAD_REVISION, so it must be the scripts' head."""
    assert migrate.head_revision("sqlite+aiosqlite:///unused.db") == migrate.HEAD_REVISION


async def test_schema_state_tells_behind_current_and_ahead(fresh):
    """An empty database is 'behind', a migrated one 'current', one stamped with a revision this
    code does not know 'ahead'; downgrading makes it 'behind' again."""
    assert await migrate.schema_state(fresh) == "behind"

    await migrate.upgrade(fresh)
    assert await migrate.schema_state(fresh) == "current"
    assert await migrate.current_revision(fresh) == migrate.head_revision(
        fresh.url.render_as_string(hide_password=False)
    )

    await migrate.upgrade(fresh)  # a second upgrade changes nothing
    assert await migrate.schema_state(fresh) == "current"

    unknown = f"future_{uuid.uuid4().hex[:6]}"
    async with fresh.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": unknown}
        )
    assert await migrate.schema_state(fresh) == "ahead"

    async with fresh.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :v"),
            {"v": migrate.head_revision(fresh.url.render_as_string(hide_password=False))},
        )
    await migrate.downgrade(fresh, "base")
    assert await migrate.schema_state(fresh) == "behind"


async def test_upgrading_a_database_with_data_keeps_every_row(fresh):
    """A database in use at revision 0003 (a business with staff, a customer, an appointment,
    a call with a tool call and a message) keeps every row through every later migration,
    including the ones that rebuild a parent table on SQLite."""
    await migrate.upgrade(fresh, "0003")
    rows = [
        "INSERT INTO businesses (id, name, timezone, default_region, slot_step_minutes, "
        "min_notice_minutes, horizon_days, cancellation_cutoff_minutes, max_call_seconds, "
        "created_at) VALUES (1, 'Salon', 'UTC', 'US', 15, 0, 60, 0, 480, '2026-01-01')",
        "INSERT INTO staff (id, business_id, name, active) VALUES (1, 1, 'Sam', true)",
        "INSERT INTO customers (id, business_id, phone, name, notes, created_at) "
        "VALUES (1, 1, '+12125550147', 'Grace', '', '2026-01-01')",
        "INSERT INTO calls (id, business_id, customer_id, room_name, caller_verified, started_at, "
        "outcome, transcript) VALUES (1, 1, 1, 'room', true, '2026-01-01', 'booked', '[]')",
        "INSERT INTO tool_calls (id, call_id, name, latency_ms, created_at) "
        "VALUES (1, 1, 'book_appointment', 1.0, '2026-01-01')",
        "INSERT INTO messages (id, business_id, call_id, customer_id, caller_name, body, "
        "created_at) VALUES (1, 1, 1, 1, 'Grace', 'call me', '2026-01-01')",
    ]
    async with fresh.begin() as connection:
        for statement in rows:
            await connection.execute(text(statement))
    await migrate.upgrade(fresh)
    async with fresh.connect() as connection:
        for table in ("businesses", "staff", "customers", "calls", "tool_calls", "messages"):
            count = await connection.scalar(text(f"SELECT count(*) FROM {table}"))
            assert count == 1, f"{table} lost its row in the upgrade"
        assert await connection.scalar(text("SELECT call_id FROM messages")) == 1

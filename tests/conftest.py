"""Shared fixtures: a migrated database per test, on a SQLite file and (when configured) PostgreSQL.

SQLite: the migrations run once into a template file, which each test copies.
PostgreSQL: set BOOKING_TEST_POSTGRES_URL; the tests create their own database on that server,
migrate it once, empty its tables between tests, and drop it at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from booking import migrate
from booking.db import Database, make_engine
from booking.models import Base
from tests.factories import Shop, make_shop

POSTGRES_ENV = "BOOKING_TEST_POSTGRES_URL"
NO_POSTGRES = (
    f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)"
)

# A fixed "now" for every test that books: a Monday morning in late 2026, New York time.
NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 08:00 in New York


# LiveKit's server writes its settings into os.environ when it runs; the machine may have some.
ISOLATED_VARIABLES = (
    "LIVEKIT_URL",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "GOOGLE_API_KEY",
    "DATABASE_URL",
    "BUSINESS_ID",
    "STAFF_ID",
)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees only the settings it passes, and leaves the environment as it found it."""
    saved = dict(os.environ)
    for name in ISOLATED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    os.environ.clear()
    os.environ.update(saved)


def postgres_server_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "booking.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def on_postgres_server(statement: str) -> None:
    """Run one statement (CREATE or DROP DATABASE) on the configured PostgreSQL server."""
    server = postgres_server_url()
    assert server is not None
    await _admin(server, statement)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    server = postgres_server_url()
    if server is None:
        pytest.skip(NO_POSTGRES)
    name = f"booking_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def new_postgres_database() -> tuple[str, str]:
    """(url, name) of a new empty database on the test server, for migration tests."""
    server = postgres_server_url()
    assert server is not None
    name = f"booking_mig_{uuid.uuid4().hex[:10]}"
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


async def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated, empty database: a SQLite file, then PostgreSQL if configured."""
    if request.param == "sqlite":
        path = tmp_path / "booking.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(_empty_postgres(url))
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url, pool_size=20)
    yield database
    await database.dispose()


@pytest.fixture
async def shop(db: Database) -> Shop:
    """A salon in New York with two staff, lunch breaks and three services."""
    return await make_shop(db)


@pytest.fixture
async def local_client(db: Database) -> AsyncIterator[Any]:
    """The app as `booking serve` makes it with OUTBOUND_ALLOW_PRIVATE on, through httpx: the
    test's calendar feeds and webhook receivers are local servers."""
    import httpx

    from booking.api.app import create_app
    from booking.services.calendar_sync import SyncSettings

    app = create_app(
        db,
        clock=lambda: NOW,
        outbound_allow_private=True,
        calendar_sync=SyncSettings(timeout_seconds=2.0, allow_private=True),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def feed() -> Iterator[Any]:
    """A local ICS feed serving a Google-style calendar (`tests/calendars/feeds.py`)."""
    from tests.calendars.feeds import GOOGLE_FEED
    from tests.calendars.ics_server import IcsServer

    with IcsServer.start() as server:
        server.body = GOOGLE_FEED
        yield server


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per reason a test was skipped (pytest's own lists each test's location)."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped, by reason")
        for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
            terminalreporter.line(f"{count} skipped: {reason}")


__all__ = ["NOW", "time"]

"""Token roles on upgrade and at the command line: tokens that existed before migration 0006
become owners (nobody is locked out), and the CLI is the recovery path for an owner token."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from booking import migrate
from booking.api.app import create_app
from booking.db import Database, make_engine
from booking.services import tokens
from tests.conftest import (
    NO_POSTGRES,
    NOW,
    new_postgres_database,
    on_postgres_server,
    postgres_server_url,
)
from tests.test_settings_and_cli import create_london_business, run_booking, sqlite_env

SECRET = "bk_existing-token-from-before-roles"


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database: a SQLite file, or a PostgreSQL database created for
    this test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    if postgres_server_url() is None:
        pytest.skip(NO_POSTGRES)
    url, name = new_postgres_database()
    await on_postgres_server(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await on_postgres_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _token_before_roles(engine: AsyncEngine) -> int:
    """A business and its one token as revision 0005 stored them; the business's id."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO businesses (name, timezone, default_region, slot_step_minutes,"
                " min_notice_minutes, horizon_days, cancellation_cutoff_minutes,"
                " max_call_seconds, created_at)"
                " VALUES ('Old Salon', 'UTC', 'GB', 15, 0, 30, 0, 480, :now)"
            ),
            {"now": NOW},
        )
        business_id = int(await connection.scalar(text("SELECT max(id) FROM businesses")))
        await connection.execute(
            text(
                "INSERT INTO api_tokens (business_id, name, token_hash, prefix, created_at)"
                " VALUES (:business, 'old admin', :hash, :prefix, :now)"
            ),
            {
                "business": business_id,
                "hash": tokens.hash_token(SECRET),
                "prefix": SECRET[:8],
                "now": NOW,
            },
        )
    return business_id


async def test_existing_tokens_become_owners_on_upgrade(fresh_url):
    """A token stored at revision 0005 is, after upgrading, an owner made by nobody: it still
    opens the API, lists tokens, issues a staff token, and is refused revoking itself as the
    last owner."""
    engine = make_engine(fresh_url)
    try:
        await migrate.upgrade(engine, "0005")
        business_id = await _token_before_roles(engine)
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.HEAD_REVISION
    finally:
        await engine.dispose()
    db = Database.from_url(fresh_url)
    try:
        (row,) = await tokens.list_tokens(db, business_id)
        assert (row.name, row.role, row.created_by) == ("old admin", "owner", None)
        app = create_app(db, clock=lambda: NOW)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            auth = {"Authorization": f"Bearer {SECRET}"}
            assert (await client.get("/api/tokens", headers=auth)).status_code == 200
            issued = await client.post("/api/tokens", json={"name": "desk"}, headers=auth)
            assert issued.status_code == 201 and issued.json()["role"] == "staff"
            revoked = await client.delete(f"/api/tokens/{row.id}", headers=auth)
            assert revoked.status_code == 409
    finally:
        await db.dispose()


def _roles(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "b.db") as conn:
        return conn.execute("SELECT name, role FROM api_tokens ORDER BY id").fetchall()


def _identify(tmp_path: Path, secret: str) -> str | None:
    async def check() -> str | None:
        db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/b.db")
        try:
            found = await tokens.identify(db, secret)
            return None if found is None else found.role
        finally:
            await db.dispose()

    return asyncio.run(check())


def test_cli_makes_owner_tokens_for_recovery_and_staff_by_default(tmp_path):
    """create-business's token is an owner; create-token makes a staff token unless given
    --role owner, which is how a locked-out business gets an owner token back."""
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    assert create_london_business(tmp_path).returncode == 0
    staff = run_booking("create-token", "--business-id", "1", env=env, cwd=tmp_path)
    assert staff.returncode == 0, staff.stderr
    owner = run_booking(
        "create-token", "--business-id", "1", "--role", "owner", env=env, cwd=tmp_path
    )
    assert owner.returncode == 0, owner.stderr
    assert _identify(tmp_path, staff.stdout.strip()) == "staff"
    assert _identify(tmp_path, owner.stdout.strip()) == "owner"
    assert _roles(tmp_path) == [("owner", "owner"), ("staff", "staff"), ("owner", "owner")]
    wrong = run_booking(
        "create-token", "--business-id", "1", "--role", "admin", env=env, cwd=tmp_path
    )
    assert wrong.returncode == 2 and "--role" in wrong.stderr

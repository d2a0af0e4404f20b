"""Run Alembic from the product: upgrade to head, and tell whether a database is behind.

`booking serve` and `/health` ask whether the schema is current on every start and probe, so that
answer comes from one query against `HEAD_REVISION`; Alembic itself (about a quarter of a second
to import and read the scripts) is loaded only to migrate or to tell "behind" from "ahead".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The newest revision in migrations/versions; tests/test_migrations.py keeps the two equal.
HEAD_REVISION = "0015"


def alembic_config(url: str) -> Config:
    """An Alembic config for the repository's migrations, aimed at `url`."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def head_revision(url: str) -> str | None:
    """The head as Alembic reads it from the scripts (HEAD_REVISION is the quick answer)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _upgrade_on(connection: Connection, url: str, target: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _downgrade_on(connection: Connection, url: str, target: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.downgrade(config, target)


async def upgrade(engine: AsyncEngine, target: str = "head") -> None:
    """Apply migrations up to `target` on the engine's database."""
    await _migrate(engine, _upgrade_on, target)


async def downgrade(engine: AsyncEngine, target: str = "base") -> None:
    await _migrate(engine, _downgrade_on, target)


async def _migrate(
    engine: AsyncEngine, step: Callable[[Connection, str, str], None], target: str
) -> None:
    """Run migrations in one transaction. On SQLite, changing a table's constraints rebuilds
    it (copy, drop, rename); with foreign keys enforced, dropping a parent table would cascade
    to its children's rows, so enforcement is off while migrating and every reference is
    checked before the commit."""
    url = engine.url.render_as_string(hide_password=False)
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:  # outside any transaction: SQLite ignores this pragma inside one
            await connection.run_sync(_enforce_foreign_keys, False)
        try:
            async with connection.begin():
                await connection.run_sync(step, url, target)
                if sqlite:
                    await connection.run_sync(_check_foreign_keys)
        finally:
            if sqlite:
                await connection.run_sync(_enforce_foreign_keys, True)


def _enforce_foreign_keys(connection: Connection, on: bool) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise RuntimeError(f"migration left broken references in: {', '.join(tables)}")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None when it has none (never migrated, or downgraded)."""
    async with engine.connect() as connection:
        try:
            found = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            return None if found is None else str(found)
        except DBAPIError as exc:
            if _no_version_table(exc):
                return None
            raise


def _no_version_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "alembic_version" in message and (
        "no such table" in message or "does not exist" in message
    )


def known_revisions(url: str) -> set[str]:
    """Every revision in this code's migration scripts."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    return {revision.revision for revision in script.walk_revisions()}


async def schema_state(engine: AsyncEngine) -> str:
    """'current', 'behind' (or empty), or 'ahead' (a revision this code does not know)."""
    current = await current_revision(engine)
    if current == HEAD_REVISION:
        return "current"
    known = known_revisions(engine.url.render_as_string(hide_password=False))
    return "behind" if current is None or current in known else "ahead"

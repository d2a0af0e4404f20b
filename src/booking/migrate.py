"""Run Alembic from the product: upgrade to head, and tell whether a database is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    """An Alembic config for the repository's migrations, aimed at `url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _upgrade_on(connection: Connection, url: str, target: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _downgrade_on(connection: Connection, url: str, target: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.downgrade(config, target)


async def upgrade(engine: AsyncEngine, target: str = "head") -> None:
    """Apply migrations up to `target` on the engine's database."""
    url = engine.url.render_as_string(hide_password=False)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_on, url, target)


async def downgrade(engine: AsyncEngine, target: str = "base") -> None:
    url = engine.url.render_as_string(hide_password=False)
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade_on, url, target)


async def current_revision(engine: AsyncEngine) -> str | None:
    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)


async def schema_state(engine: AsyncEngine) -> str:
    """'current', 'behind' (or empty), or 'ahead' (a revision this code does not know)."""
    url = engine.url.render_as_string(hide_password=False)
    current, head = await current_revision(engine), head_revision(url)
    if current == head:
        return "current"
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {rev.revision for rev in script.walk_revisions()}
    return "behind" if current is None or current in known else "ahead"

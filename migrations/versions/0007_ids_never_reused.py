"""Ids are never handed out twice on SQLite: every table's integer id is AUTOINCREMENT.

Without it SQLite gives the next row the highest id in use plus one, so after the newest
customer is erased the next customer gets their id, and webhook receivers, calendar apps and
logs that stored the old id point at a different person. PostgreSQL's sequences never reuse
an id, so it is left as it is. Each table is rebuilt (its rows copied with their ids, which
also starts its AUTOINCREMENT counter at the highest of them), and its indexes and triggers,
which a rebuild drops, are made again exactly as they were.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables_with_integer_ids(bind: sa.Connection) -> list[str]:
    inspector = sa.inspect(bind)
    found = []
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        key = inspector.get_pk_constraint(table).get("constrained_columns") or []
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        if key == ["id"] and isinstance(columns["id"]["type"], sa.Integer):
            found.append(table)
    return found


def _table_sql(bind: sa.Connection, table: str) -> str:
    query = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name")
    return str(bind.execute(query, {"name": table}).scalar() or "")


def _indexes_and_triggers(bind: sa.Connection, table: str) -> list[tuple[str, str, str]]:
    query = sa.text(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE tbl_name = :name AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    )
    return [(str(t), str(n), str(s)) for t, n, s in bind.execute(query, {"name": table})]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in _tables_with_integer_ids(bind):
        if "AUTOINCREMENT" in _table_sql(bind, table).upper():
            continue
        kept = _indexes_and_triggers(bind, table)
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
        for kind, name, sql in kept:
            op.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
            op.execute(sql)


def downgrade() -> None:
    """Nothing to undo: AUTOINCREMENT only stops ids from being reused."""

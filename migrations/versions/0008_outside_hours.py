"""Appointments kept through a schedule change that left them outside the hours are flagged.

Added with a plain ADD COLUMN on both databases: a batch rebuild of the table on SQLite would
drop its overlap triggers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "appointments",
        sa.Column("outside_hours", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_column("appointments", "outside_hours")
        return
    # The rebuild drops the table's triggers and indexes: made again exactly as they were.
    query = sa.text(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE tbl_name = 'appointments' AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    )
    kept = [(str(t), str(n), str(s)) for t, n, s in bind.execute(query)]
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("outside_hours")
    for kind, name, sql in kept:
        op.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        op.execute(sql)

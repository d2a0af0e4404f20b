"""The demo business is marked as such, so it stops answering for unmatched numbers once a
real business exists. Existing databases mark the business `seed-demo` created (its name).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "businesses",
        sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE businesses SET is_demo = true WHERE name = 'Demo Salon'")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_column("businesses", "is_demo")
        return
    with op.batch_alter_table("businesses") as batch:
        batch.drop_column("is_demo")

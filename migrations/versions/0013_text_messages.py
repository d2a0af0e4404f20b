"""Text messages: customers' SMS consent, each business's sending number and quiet hours, an
appointment's confirmation by reply, and a text's id and delivery status at its provider.

Every change is a plain ADD COLUMN on both databases (a rebuild of `appointments` or
`customers` on SQLite would drop their triggers).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: list[tuple[str, sa.Column[object]]] = [
    (
        "customers",
        sa.Column("sms_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    ),
    ("businesses", sa.Column("sms_number", sa.String(20), nullable=True)),
    (
        "businesses",
        sa.Column("quiet_from_minute", sa.Integer(), nullable=False, server_default="1260"),
    ),
    (
        "businesses",
        sa.Column("quiet_until_minute", sa.Integer(), nullable=False, server_default="480"),
    ),
    (
        "appointments",
        sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
    ),
    ("webhook_deliveries", sa.Column("provider_ref", sa.String(64), nullable=True)),
    ("webhook_deliveries", sa.Column("provider_status", sa.String(32), nullable=True)),
]


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, column)
    op.create_index("ix_webhook_deliveries_provider_ref", "webhook_deliveries", ["provider_ref"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_provider_ref", "webhook_deliveries")
    op.execute(sa.text("DELETE FROM webhook_deliveries WHERE channel = 'sms'"))
    # SQLite's own DROP COLUMN (3.35+) keeps the tables' triggers, where a batch rebuild would not.
    for table, column in reversed(_COLUMNS):
        op.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN "{column.name}"'))

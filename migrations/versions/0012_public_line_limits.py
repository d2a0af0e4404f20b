"""The public line's limits: booking caps and the repeat-call limit as business settings, a
block list per business, and a call outcome `refused` for calls dropped before the model.

The business settings are plain ADD COLUMN. The outcome's CHECK constraint is replaced as in
0005: on SQLite that rebuilds `calls` (it has no triggers; its ids keep AUTOINCREMENT, see
0007). An index serves counting a number's recent calls.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "in_progress", "booked", "rescheduled", "cancelled", "message", "transferred", "info",
    "abandoned", "failed", "model_unavailable",
)  # fmt: skip
AFTER = (*BEFORE, "refused")
SETTINGS = (
    ("max_bookings_per_call", "3"),
    ("max_future_bookings_per_customer", "4"),
    ("max_withheld_bookings_per_day", "5"),
    ("max_calls_per_number", "5"),
    ("repeat_call_window_minutes", "10"),
)


def _outcomes(values: Sequence[str]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(
        "calls", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_constraint(op.f("ck_calls_call_outcome"), type_="check")
        batch.create_check_constraint(op.f("ck_calls_call_outcome"), f"outcome IN ({listed})")


def upgrade() -> None:
    for name, default in SETTINGS:
        op.add_column(
            "businesses", sa.Column(name, sa.Integer(), nullable=False, server_default=default)
        )
    op.create_table(
        "blocked_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_blocked_numbers_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_numbers")),
        sa.UniqueConstraint(
            "business_id", "number", name=op.f("uq_blocked_numbers_business_id_number")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_blocked_numbers_business_id"), "blocked_numbers", ["business_id"], unique=False
    )
    op.create_index(
        "ix_calls_repeat", "calls", ["business_id", "caller_number", "started_at"], unique=False
    )
    _outcomes(AFTER)


def downgrade() -> None:
    op.execute("UPDATE calls SET outcome = 'failed' WHERE outcome = 'refused'")
    _outcomes(BEFORE)
    op.drop_index("ix_calls_repeat", table_name="calls")
    op.drop_index(op.f("ix_blocked_numbers_business_id"), table_name="blocked_numbers")
    op.drop_table("blocked_numbers")
    # SQLite's own DROP COLUMN (3.35+) keeps the table as it is, where a rebuild would not.
    for name, _ in reversed(SETTINGS):
        op.execute(sa.text(f'ALTER TABLE businesses DROP COLUMN "{name}"'))

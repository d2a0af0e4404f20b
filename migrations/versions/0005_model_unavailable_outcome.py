"""A call's outcome may be model_unavailable: Gemini could not be reached at all.

Such a call is transferred or ended and leaves a missed-call message; the outcome tells the
owner why, apart from calls that failed for other reasons. The column grows to 24 characters.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "in_progress", "booked", "rescheduled", "cancelled", "message", "transferred", "info",
    "abandoned", "failed",
)  # fmt: skip
AFTER = (*BEFORE, "model_unavailable")


def _outcomes(values: Sequence[str], length: int, previous_length: int) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("calls", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_calls_call_outcome"), type_="check")
        batch.alter_column(
            "outcome",
            existing_type=sa.String(previous_length),
            type_=sa.String(length),
            existing_nullable=False,
        )
        batch.create_check_constraint(op.f("ck_calls_call_outcome"), f"outcome IN ({listed})")


def upgrade() -> None:
    _outcomes(AFTER, 24, 16)


def downgrade() -> None:
    op.execute("UPDATE calls SET outcome = 'failed' WHERE outcome = 'model_unavailable'")
    _outcomes(BEFORE, 16, 24)

"""Calls may last up to 30 minutes: the Gemini Live connection is no longer the bound.

The agent now reconnects through Gemini Live's goAway with session resumption and asks for
context-window compression, so a call outlives one ~10-minute connection; the business's
maximum call length may go up to 1800 seconds (the default stays 480).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _limit(upper: int) -> None:
    with op.batch_alter_table("businesses", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_businesses_max_call"), type_="check")
        batch.create_check_constraint(
            op.f("ck_businesses_max_call"), f"max_call_seconds BETWEEN 60 AND {upper}"
        )


def upgrade() -> None:
    _limit(1800)


def downgrade() -> None:
    op.execute("UPDATE businesses SET max_call_seconds = 900 WHERE max_call_seconds > 900")
    _limit(900)

"""Staff calendars: a staff member's ICS or CalDAV connections and the busy intervals read
from them (start and end only), for availability and for writing bookings back.

Two new tables; nothing existing is rebuilt.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), server_default="", nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("username", sa.String(200), nullable=True),
        sa.Column("password", sa.String(500), nullable=True),
        sa.Column("read_calendars", sa.JSON(), nullable=False),
        sa.Column("write_calendar", sa.String(2000), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sync_state", sa.JSON(), nullable=False),
        sa.Column("last_attempt_at", _INSTANT, nullable=True),
        sa.Column("last_synced_at", _INSTANT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("events_seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("busy_seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_sync_at", _INSTANT, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", _INSTANT, nullable=True),
        sa.Column("created_at", _INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_calendar_connections_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_calendar_connections_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_calendar_connections_business_id"), "calendar_connections", ["business_id"]
    )
    op.create_index(op.f("ix_calendar_connections_staff_id"), "calendar_connections", ["staff_id"])
    op.create_table(
        "busy_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _INSTANT, nullable=False),
        sa.Column("ends_at", _INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connections.id"],
            name=op.f("fk_busy_intervals_connection_id_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_busy_intervals_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_busy_intervals")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_busy_intervals_connection_id"), "busy_intervals", ["connection_id"])
    op.create_index(
        "ix_busy_intervals_staff_time", "busy_intervals", ["staff_id", "starts_at", "ends_at"]
    )


def downgrade() -> None:
    op.drop_table("busy_intervals")
    op.drop_table("calendar_connections")

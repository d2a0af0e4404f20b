"""SQLite's overlap triggers look only at the staff member's next booked appointment.

The first triggers searched every earlier appointment of the staff member (an index on
starts_at bounds one side only), so a booking cost grew with the size of the book: about 9 ms
per insert with 100,000 appointments. Booked appointments of one staff member never overlap
(these triggers keep it so), so sorted by blocked_until they are also sorted by starts_at, and a
new range [starts_at, blocked_until) overlaps one of them exactly when it overlaps the first one
that ends after it starts. A partial index on (staff_id, blocked_until) of booked appointments
finds that one directly. PostgreSQL keeps its exclusion constraint; the index is made there too
so the two schemas stay alike.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_appointments_booked_staff_until"

_NEXT_BOOKING_OVERLAPS = f"""
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM (
            SELECT other.starts_at FROM appointments AS other INDEXED BY {INDEX}
            WHERE other.staff_id = NEW.staff_id
              AND other.status = 'booked'
              AND other.blocked_until > NEW.starts_at
              {{exclude_self}}
            ORDER BY other.blocked_until
            LIMIT 1
        ) AS next_booking
        WHERE next_booking.starts_at < NEW.blocked_until
    );
"""

# The triggers of revision 0001, restored on downgrade.
_ANY_OVERLAPS = """
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointments AS other
        WHERE other.staff_id = NEW.staff_id
          AND other.status = 'booked'
          AND other.starts_at < NEW.blocked_until
          AND other.blocked_until > NEW.starts_at
          {exclude_self}
    );
"""


def _replace_triggers(body: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_insert")
    op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_update")
    op.execute(
        "CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments "
        "FOR EACH ROW WHEN NEW.status = 'booked' BEGIN" + body.format(exclude_self="") + "END"
    )
    op.execute(
        "CREATE TRIGGER appointments_no_overlap_update "
        "BEFORE UPDATE OF staff_id, starts_at, ends_at, blocked_until, status ON appointments "
        "FOR EACH ROW WHEN NEW.status = 'booked' BEGIN"
        + body.format(exclude_self="AND other.id != NEW.id")
        + "END"
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        INDEX,
        "appointments",
        ["staff_id", "blocked_until"],
        unique=False,
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _replace_triggers(_NEXT_BOOKING_OVERLAPS)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        _replace_triggers(_ANY_OVERLAPS)
    op.drop_index(INDEX, table_name="appointments")

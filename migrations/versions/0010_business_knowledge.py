"""What the receptionist may tell callers: the business's address, description and
directions, its FAQ, and each service's price and spoken description.

Columns are added with plain ADD COLUMN (no table rebuild, which on SQLite would drop
triggers); a CHECK on the new price column would need a rebuild on SQLite, so there the
service layer is its guard and PostgreSQL also gets the constraint.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROFILE = {"address": 500, "description": 1000, "directions": 1000}


def upgrade() -> None:
    for column, length in PROFILE.items():
        op.add_column(
            "businesses",
            sa.Column(column, sa.String(length), nullable=False, server_default=""),
        )
    op.add_column("services", sa.Column("price_minor", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("currency", sa.String(3), nullable=True))
    op.add_column(
        "services", sa.Column("description", sa.String(500), nullable=False, server_default="")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(
            op.f("ck_services_price"), "services", "price_minor IS NULL OR price_minor >= 0"
        )
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(300), nullable=False),
        sa.Column("answer", sa.String(1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_faq_entries_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entries")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_faq_entries_business_id"), "faq_entries", ["business_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_faq_entries_business_id"), table_name="faq_entries")
    op.drop_table("faq_entries")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_services_price"), "services", type_="check")
    for table, columns in (
        ("services", ["description", "currency", "price_minor"]),
        ("businesses", list(PROFILE)),
    ):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)

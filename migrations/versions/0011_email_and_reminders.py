"""Confirmations and reminders: customers' email consent, each business's reminder lead time,
and deliveries that go to an email address as well as to a webhook subscription.

The new columns are plain ADD COLUMN on both databases (a rebuild of `customers` or
`businesses` on SQLite would drop triggers). Only `webhook_deliveries` is rebuilt on SQLite,
to let `subscription_id` be empty for email; its indexes and triggers are made again as
they were, and it keeps AUTOINCREMENT (see 0007).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERIES = "webhook_deliveries"


def _indexes_and_triggers(bind: sa.Connection, table: str) -> list[tuple[str, str, str]]:
    query = sa.text(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE tbl_name = :name AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    )
    return [(str(t), str(n), str(s)) for t, n, s in bind.execute(query, {"name": table})]


def _subscription_optional(nullable: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column(
            DELIVERIES, "subscription_id", existing_type=sa.Integer(), nullable=nullable
        )
        return
    kept = _indexes_and_triggers(bind, DELIVERIES)
    with op.batch_alter_table(
        DELIVERIES, recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.alter_column("subscription_id", existing_type=sa.Integer(), nullable=nullable)
    for kind, name, sql in kept:
        op.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        op.execute(sql)


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("email_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "businesses",
        sa.Column("reminder_minutes", sa.Integer(), nullable=False, server_default="1440"),
    )
    op.add_column(
        DELIVERIES,
        sa.Column("channel", sa.String(16), nullable=False, server_default="webhook"),
    )
    op.add_column(DELIVERIES, sa.Column("appointment_id", sa.Integer(), nullable=True))
    op.add_column(DELIVERIES, sa.Column("customer_id", sa.Integer(), nullable=True))
    op.create_index("ix_webhook_deliveries_appointment_id", DELIVERIES, ["appointment_id"])
    op.create_index("ix_webhook_deliveries_customer_id", DELIVERIES, ["customer_id"])
    _subscription_optional(True)


def downgrade() -> None:
    # Email has no subscription: those rows cannot stay once every delivery needs one.
    op.execute(sa.text(f"DELETE FROM {DELIVERIES} WHERE subscription_id IS NULL"))
    op.drop_index("ix_webhook_deliveries_customer_id", DELIVERIES)
    op.drop_index("ix_webhook_deliveries_appointment_id", DELIVERIES)
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for column in ("customer_id", "appointment_id", "channel"):
            op.drop_column(DELIVERIES, column)
        op.drop_column("businesses", "reminder_minutes")
        op.drop_column("customers", "email_consent")
        _subscription_optional(False)
        return
    # SQLite: one rebuild of the deliveries drops its three columns and restores NOT NULL; the
    # other two tables are rebuilt with their triggers and indexes made again.
    kept = _indexes_and_triggers(bind, DELIVERIES)
    with op.batch_alter_table(
        DELIVERIES, recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        for column in ("customer_id", "appointment_id", "channel"):
            batch.drop_column(column)
        batch.alter_column("subscription_id", existing_type=sa.Integer(), nullable=False)
    _restore(kept)
    for table, column in (("businesses", "reminder_minutes"), ("customers", "email_consent")):
        kept = _indexes_and_triggers(bind, table)
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.drop_column(column)
        _restore(kept)


def _restore(kept: list[tuple[str, str, str]]) -> None:
    for kind, name, sql in kept:
        op.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        op.execute(sql)

"""Token roles: every API token is an owner or staff, and records the token that issued it.

Only an owner token manages tokens, webhooks and the business's settings. Tokens that exist
before this revision become owners, so nobody is locked out by the upgrade; `created_by_id`
stays NULL for them (and for tokens made at the command line).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_CHECK = "ck_api_tokens_token_role"
CREATOR_FK = "fk_api_tokens_created_by_id_api_tokens"


def upgrade() -> None:
    # The server default fills the role of every existing row; it is dropped right after, so a
    # new token always states its role.
    with op.batch_alter_table("api_tokens", recreate="auto") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="owner")
        )
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f(ROLE_CHECK), "role IN ('owner', 'staff')")
        batch.create_foreign_key(
            op.f(CREATOR_FK), "api_tokens", ["created_by_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("api_tokens", recreate="auto") as batch:
        batch.alter_column(
            "role", existing_type=sa.String(length=16), existing_nullable=False, server_default=None
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", recreate="auto") as batch:
        batch.drop_constraint(op.f(CREATOR_FK), type_="foreignkey")
        batch.drop_constraint(op.f(ROLE_CHECK), type_="check")
        batch.drop_column("created_by_id")
        batch.drop_column("role")

"""Snoozes can be undone: when and by whom a snooze was lifted.

A lifted snooze stays in the table (what was decided, and its reversal, are both part of the
record; the audit log holds the same events); Today reads only snoozes not lifted.

Revision ID: 0007
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_snooze") as batch:
        batch.add_column(sa.Column("lifted_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lifted_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_app_snooze_lifted_by_app_user"), "app_user", ["lifted_by"], ["user_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("app_snooze") as batch:
        batch.drop_constraint(op.f("fk_app_snooze_lifted_by_app_user"), type_="foreignkey")
        batch.drop_column("lifted_by")
        batch.drop_column("lifted_at")

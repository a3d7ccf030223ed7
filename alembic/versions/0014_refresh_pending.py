"""Risk refresh still owed for clients a committed load changed (``caseload run-ingest``).

Revision ID: 0014
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "etl_refresh_pending",
        sa.Column("client_key", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("client_key", name=op.f("pk_etl_refresh_pending")),
    )


def downgrade() -> None:
    op.drop_table("etl_refresh_pending")

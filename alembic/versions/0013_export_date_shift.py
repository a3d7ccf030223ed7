"""Secret per-client date offsets for Expert Determination exports.

``export_date_shift`` holds, for each client exported in that mode, the random number of days
its dates are moved by; the program keeps it, the export recipient never sees it.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_date_shift",
        sa.Column("client_key", sa.Integer(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_key"],
            ["dim_client.client_key"],
            name=op.f("fk_export_date_shift_client_key_dim_client"),
        ),
        sa.PrimaryKeyConstraint("client_key", name=op.f("pk_export_date_shift")),
    )


def downgrade() -> None:
    op.drop_table("export_date_shift")

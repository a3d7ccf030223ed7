"""The Outcomes page's cached model check (``mart_model_check``), one row per program, day
and period.

Revision ID: 0009
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mart_model_check",
        sa.Column("program_key", sa.Integer(), nullable=False),
        sa.Column("computed_for", sa.Date(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_key"],
            ["dim_program.program_key"],
            name=op.f("fk_mart_model_check_program_key_dim_program"),
        ),
        sa.PrimaryKeyConstraint(
            "program_key",
            "computed_for",
            "period_from",
            "period_to",
            name=op.f("pk_mart_model_check"),
        ),
    )


def downgrade() -> None:
    op.drop_table("mart_model_check")

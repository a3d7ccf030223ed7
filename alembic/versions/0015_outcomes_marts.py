"""The Outcomes marts (``mart_outcomes_day``, ``mart_screen_day``, ``mart_outcomes_reach``)
and a partial index of the newly-high days on ``fct_risk_score``.

The marts start empty; the next risk refresh (any ``caseload ingest`` or ``caseload score``)
sees that and builds them from the facts.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _mart(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("row_key", KEY, autoincrement=True, nullable=False),
        sa.Column("program_key", sa.Integer(), nullable=False),
        sa.Column("counselor_key", sa.Integer(), nullable=True),
        *columns,
        sa.ForeignKeyConstraint(
            ["program_key"],
            ["dim_program.program_key"],
            name=op.f(f"fk_{name}_program_key_dim_program"),
        ),
        sa.ForeignKeyConstraint(
            ["counselor_key"],
            ["dim_staff.staff_key"],
            name=op.f(f"fk_{name}_counselor_key_dim_staff"),
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_program_date", name, ["program_key", "date"])


def upgrade() -> None:
    _mart(
        "mart_outcomes_day",
        sa.Column("date", sa.Date(), nullable=False),
        *(
            sa.Column(n, sa.Integer(), nullable=False)
            for n in (
                "expected",
                "met",
                "answered_days",
                "abstinent_days",
                "scored_low",
                "scored_moderate",
                "scored_high",
                "scored_critical",
                "newly_high",
            )
        ),
    )
    _mart(
        "mart_screen_day",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("substance", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("screens", sa.Integer(), nullable=False),
    )
    _mart(
        "mart_outcomes_reach",
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("substance", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("prev_date", sa.Date(), nullable=True),
        sa.Column("clients", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_fct_risk_score_newly_high",
        "fct_risk_score",
        ["client_key", "date"],
        postgresql_where=sa.text("is_newly_high"),
        sqlite_where=sa.text("is_newly_high"),
    )


def downgrade() -> None:
    op.drop_index("ix_fct_risk_score_newly_high", table_name="fct_risk_score")
    for name in ("mart_outcomes_reach", "mart_screen_day", "mart_outcomes_day"):
        op.drop_index(f"ix_{name}_program_date", table_name=name)
        op.drop_table(name)

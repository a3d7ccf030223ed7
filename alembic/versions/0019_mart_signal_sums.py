"""Sleep and stress sums on ``mart_outcomes_day``, for the Sleep & stress trends.

The four columns are added with zeros and filled from the client-days in one statement, so an
upgraded warehouse shows its trends at once instead of after the next risk refresh.

Revision ID: 0019
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("sleep_hours_sum", sa.Float(), "0"),
    ("sleep_answers", sa.Integer(), "0"),
    ("stress_sum", sa.Float(), "0"),
    ("stress_answers", sa.Integer(), "0"),
)

FILL = """
UPDATE mart_outcomes_day
SET sleep_hours_sum = s.sleep_hours_sum, sleep_answers = s.sleep_answers,
    stress_sum = s.stress_sum, stress_answers = s.stress_answers
FROM (
    SELECT c.program_key, c.counselor_key, d.date,
           COALESCE(SUM(d.sleep_hours), 0) AS sleep_hours_sum,
           COUNT(d.sleep_hours) AS sleep_answers,
           COALESCE(SUM(d.stress), 0) AS stress_sum,
           COUNT(d.stress) AS stress_answers
    FROM fct_client_day d JOIN dim_client c ON c.client_key = d.client_key
    GROUP BY c.program_key, c.counselor_key, d.date
) AS s
WHERE mart_outcomes_day.program_key = s.program_key
  AND mart_outcomes_day.date = s.date
  AND (mart_outcomes_day.counselor_key = s.counselor_key
       OR (mart_outcomes_day.counselor_key IS NULL AND s.counselor_key IS NULL))
"""


def upgrade() -> None:
    with op.batch_alter_table("mart_outcomes_day") as batch:
        for name, type_, default in COLUMNS:
            batch.add_column(
                sa.Column(name, type_, nullable=False, server_default=sa.text(default))
            )
    op.execute(FILL)


def downgrade() -> None:
    with op.batch_alter_table("mart_outcomes_day") as batch:
        for name, _, _ in COLUMNS:
            batch.drop_column(name)

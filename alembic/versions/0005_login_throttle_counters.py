"""Login throttling as counters that an attempt reserves under a row lock before any hashing.

``app_login_attempt`` (one row per failure, counted after the password check) could not hold
under concurrency; its rows are throttling state of at most one window, so they are dropped,
not carried over.

Revision ID: 0005
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_login_throttle",
        sa.Column("throttle_key", sa.String(length=80), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("throttle_key", name=op.f("pk_app_login_throttle")),
    )
    with op.batch_alter_table("app_login_throttle", schema=None) as batch_op:
        batch_op.create_index(
            "ix_app_login_throttle_window_started_at", ["window_started_at"], unique=False
        )
    with op.batch_alter_table("app_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_app_login_attempt_username_at")
        batch_op.drop_index("ix_app_login_attempt_address_at")
    op.drop_table("app_login_attempt")


def downgrade() -> None:
    op.create_table(
        "app_login_attempt",
        sa.Column(
            "attempt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("source_address", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_app_login_attempt")),
    )
    with op.batch_alter_table("app_login_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_app_login_attempt_address_at", ["source_address", "attempted_at"], unique=False
        )
        batch_op.create_index(
            "ix_app_login_attempt_username_at", ["username", "attempted_at"], unique=False
        )
    with op.batch_alter_table("app_login_throttle", schema=None) as batch_op:
        batch_op.drop_index("ix_app_login_throttle_window_started_at")
    op.drop_table("app_login_throttle")

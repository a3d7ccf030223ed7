"""fct_bam: one row per Brief Addiction Monitor form, with its three scale scores.

Revision ID: 0004
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fct_bam",
        sa.Column("bam_key", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("recall_days", sa.SmallInteger(), nullable=False),
        sa.Column("item_1", sa.SmallInteger(), nullable=True),
        sa.Column("item_2", sa.SmallInteger(), nullable=True),
        sa.Column("item_3", sa.SmallInteger(), nullable=True),
        sa.Column("item_4", sa.SmallInteger(), nullable=True),
        sa.Column("item_5", sa.SmallInteger(), nullable=True),
        sa.Column("item_6", sa.SmallInteger(), nullable=True),
        sa.Column("item_7a", sa.SmallInteger(), nullable=True),
        sa.Column("item_7b", sa.SmallInteger(), nullable=True),
        sa.Column("item_7c", sa.SmallInteger(), nullable=True),
        sa.Column("item_7d", sa.SmallInteger(), nullable=True),
        sa.Column("item_7e", sa.SmallInteger(), nullable=True),
        sa.Column("item_7f", sa.SmallInteger(), nullable=True),
        sa.Column("item_7g", sa.SmallInteger(), nullable=True),
        sa.Column("item_8", sa.SmallInteger(), nullable=True),
        sa.Column("item_9", sa.SmallInteger(), nullable=True),
        sa.Column("item_10", sa.SmallInteger(), nullable=True),
        sa.Column("item_11", sa.SmallInteger(), nullable=True),
        sa.Column("item_12", sa.SmallInteger(), nullable=True),
        sa.Column("item_13", sa.SmallInteger(), nullable=True),
        sa.Column("item_14", sa.SmallInteger(), nullable=True),
        sa.Column("item_15", sa.SmallInteger(), nullable=True),
        sa.Column("item_16", sa.SmallInteger(), nullable=True),
        sa.Column("item_17", sa.SmallInteger(), nullable=True),
        sa.Column("use_score", sa.SmallInteger(), nullable=True),
        sa.Column("risk_score", sa.SmallInteger(), nullable=True),
        sa.Column("protective_score", sa.SmallInteger(), nullable=True),
        sa.Column("is_use_flagged", sa.Boolean(), nullable=True),
        sa.Column("is_risk_flagged", sa.Boolean(), nullable=True),
        sa.Column("is_protective_flagged", sa.Boolean(), nullable=True),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_key"], ["dim_client.client_key"], name=op.f("fk_fct_bam_client_key_dim_client")
        ),
        sa.ForeignKeyConstraint(
            ["load_id"], ["etl_load.load_id"], name=op.f("fk_fct_bam_load_id_etl_load")
        ),
        sa.PrimaryKeyConstraint("bam_key", name=op.f("pk_fct_bam")),
        sa.UniqueConstraint("response_id", name=op.f("uq_fct_bam_response_id")),
    )
    with op.batch_alter_table("fct_bam", schema=None) as batch_op:
        batch_op.create_index("ix_fct_bam_client_date", ["client_key", "local_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fct_bam", schema=None) as batch_op:
        batch_op.drop_index("ix_fct_bam_client_date")
    op.drop_table("fct_bam")

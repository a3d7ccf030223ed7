"""Pseudonym link table for de-identified exports.

``export_pseudonym`` maps a client to the random pseudonym its exports carry when the program
asks for stable pseudonyms; the program holds it, the export recipient never sees it.

Revision ID: 0011
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_pseudonym",
        sa.Column("client_key", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_key"],
            ["dim_client.client_key"],
            name=op.f("fk_export_pseudonym_client_key_dim_client"),
        ),
        sa.PrimaryKeyConstraint("client_key", name=op.f("pk_export_pseudonym")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_export_pseudonym_pseudonym")),
    )


def downgrade() -> None:
    op.drop_table("export_pseudonym")

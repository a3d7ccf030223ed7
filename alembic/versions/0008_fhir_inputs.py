"""FHIR inputs: JSON-path quarantine locations, skipped counts, and Patient links.

A FHIR Bundle has no useful line numbers, so a quarantine entry's location is a line, a JSON
path (``entry[12].resource.item[3].answer[0]``) or, for Bulk NDJSON, both. A FHIR file may hold
resources Caseload does not load; they are counted as skipped, so ``etl_load`` keeps that
count too. ``fhir_patient_link`` remembers which client a FHIR Patient's logical id named, so
a later file may refer to ``Patient/<id>`` without sending the Patient again.

Revision ID: 0008
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("etl_quarantine", schema=None) as batch_op:
        batch_op.alter_column("line", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("json_path", sa.String(length=500), nullable=True))
    with op.batch_alter_table("etl_load", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rows_skipped", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "fhir_patient_link",
        sa.Column("fhir_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"], ["etl_load.load_id"], name=op.f("fk_fhir_patient_link_load_id_etl_load")
        ),
        sa.PrimaryKeyConstraint("fhir_id", name=op.f("pk_fhir_patient_link")),
    )


def downgrade() -> None:
    op.drop_table("fhir_patient_link")
    with op.batch_alter_table("etl_load", schema=None) as batch_op:
        batch_op.drop_column("rows_skipped")
    op.execute("DELETE FROM etl_quarantine WHERE line IS NULL")
    with op.batch_alter_table("etl_quarantine", schema=None) as batch_op:
        batch_op.drop_column("json_path")
        batch_op.alter_column("line", existing_type=sa.Integer(), nullable=False)

"""Make the audit log append-only in the database itself.

The hash chain detects an altered row; these triggers refuse the UPDATE or DELETE in the first
place, so even a bug or a careless maintenance query cannot rewrite history through the app's
database role.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE FUNCTION app_audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'app_audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER app_audit_log_no_change BEFORE UPDATE OR DELETE ON app_audit_log "
            "FOR EACH ROW EXECUTE FUNCTION app_audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER app_audit_log_no_truncate BEFORE TRUNCATE ON app_audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION app_audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER app_audit_log_no_{event.lower()} BEFORE {event} ON app_audit_log "
                "BEGIN SELECT RAISE(ABORT, 'app_audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER app_audit_log_no_truncate ON app_audit_log")
        op.execute("DROP TRIGGER app_audit_log_no_change ON app_audit_log")
        op.execute("DROP FUNCTION app_audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER app_audit_log_no_update")
        op.execute("DROP TRIGGER app_audit_log_no_delete")

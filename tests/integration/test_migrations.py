"""Alembic owns the schema: migrations run up and down on each database and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from etl.db import make_engine
from etl.migrate import downgrade, upgrade
from etl.models import Base


def test_upgrade_downgrade_and_no_drift(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables

    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []

    downgrade(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "fct_checkin" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrated_audit_log_refuses_update_and_delete(database_url: str) -> None:
    """After the migrations the database itself keeps the audit log append-only."""
    import pytest
    from sqlalchemy import delete, exc, select, update

    from etl.audit import Actor, record, verify_chain
    from etl.models import AppAuditLog

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        record(conn, action="login", actor=Actor(user_id=1, username="ana"))
    for statement in (
        update(AppAuditLog).values(username="mallory"),
        delete(AppAuditLog),
    ):
        with pytest.raises(exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert conn.execute(select(AppAuditLog.username)).scalars().all() == ["ana"]
    assert verify_chain(engine) is None
    downgrade(engine)
    engine.dispose()

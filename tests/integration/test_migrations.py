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
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []

    downgrade(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "fct_checkin" in inspect(engine).get_table_names()
    engine.dispose()

"""The documented backup is restorable: ``config/backup/restore-check.sh`` dumps a warehouse
with ``pg_dump``, restores it into a fresh database and compares every table's row count."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from ingest_support import ALL, copy_fixtures

from etl.db import make_engine
from etl.ingest import ingest_paths
from etl.models import Base


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_dump_restores_into_a_fresh_database_with_the_same_rows(pg_server, tmp_path) -> None:
    if pg_server is None:
        pytest.skip("needs CASELOAD_TEST_POSTGRES_URL")
    url = pg_server.create_database()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    report = ingest_paths(engine, copy_fixtures(tmp_path / "in", ALL))
    loaded = sum(f.inserted for f in report.files)
    engine.dispose()
    dump = tmp_path / "warehouse.dump"
    done = subprocess.run(
        ["bash", "config/backup/restore-check.sh", url, str(dump)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    tables = len(Base.metadata.tables)
    assert f"restore verified: {tables} tables" in done.stdout
    rows = int(done.stdout.split(" tables, ")[1].split(" rows")[0])
    assert rows >= loaded > 0
    assert dump.stat().st_size > 0

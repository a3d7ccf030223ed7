"""The documented backups are restorable: ``config/backup/restore-check.sh`` dumps a warehouse
with ``pg_dump``, restores it into a fresh database and compares every table's row count, and
``config/backup/pitr-rehearsal.sh`` replays archived WAL onto a base backup up to a target time."""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from ingest_support import ALL, copy_fixtures

from etl.db import make_engine
from etl.ingest import ingest_paths
from etl.models import Base

REHEARSAL = re.compile(
    r"pitr verified: (?P<restored>\d+) (?P<table>\w+) rows at (?P<target>[^(]+) "
    r"\(source after the bad load: (?P<source>\d+) rows, ids (?P<first>\d+)\.\.(?P<last>\d+);"
)


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


@pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reason="PostgreSQL server is not installed"
)
@pytest.mark.parametrize("schema", ["plain", "caseload"])
def test_point_in_time_recovery_stops_before_the_bad_load(schema: str) -> None:
    """The rehearsal's own clusters, not the test server: it starts, archives and recovers its
    own. Its work directory is under the system temp directory rather than ``tmp_path``, which
    is private to root in CI, where the clusters run as the postgres user."""
    work = Path(tempfile.gettempdir()) / f"caseload-pitr-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "CASELOAD_PYTHON": sys.executable if schema == "caseload" else ""}
    try:
        done = subprocess.run(
            ["bash", "config/backup/pitr-rehearsal.sh", str(work)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    finally:
        leftover = work.exists()
        shutil.rmtree(work, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    found = REHEARSAL.search(done.stdout)
    assert found, done.stdout
    # 40 rows before the target; after it the bad load added 15 and deleted the first 5.
    assert found["table"] == ("app_audit_log" if schema == "caseload" else "pitr_rehearsal")
    assert int(found["restored"]) == 40
    assert (int(found["source"]), int(found["first"]), int(found["last"])) == (50, 6, 55)
    assert dt.datetime.fromisoformat(found["target"].strip()).tzinfo is not None
    if schema == "caseload":
        assert "audit log intact: 40 rows checked, head 40" in done.stdout
    assert not leftover, "the rehearsal left its work directory behind"

"""A load killed half-way through a file leaves the warehouse exactly as it was before it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from factories import url_of
from ingest_support import CHECKIN_HEADER, ROSTER, copy_fixtures, count, loads, write
from sqlalchemy import inspect

from etl.ingest import ingest_paths
from etl.ingest.bookkeeping import INTERRUPTED
from etl.models import DimDate, EtlQuarantine, FctCheckin, PiiCheckinNote

ROWS = 40_000

# Stops itself after two chunks have been written inside the file's open transaction.
CHILD = textwrap.dedent(
    """
    import sys, time
    from etl.db import make_engine
    from etl.ingest import ingest_paths
    seen = []
    def progress(path, done, total):
        seen.append(done)
        if len(seen) == 2:
            print("MIDFILE", done, total, flush=True)
            time.sleep(120)
    ingest_paths(make_engine(sys.argv[1]), [sys.argv[2]], chunk_rows=int(sys.argv[3]),
                 on_progress=progress)
    print("FINISHED", flush=True)
    """
)


def _big_file(path):
    rows = [
        f"K{i},C00{1 + i % 3},2026-11-{1 + i % 20:02d}T08:00:00,{i % 11},3,5,7,4,no,people,yes,,"
        + ("a note" if i % 4 == 0 else "")
        for i in range(ROWS)
    ]
    rows.append("K-bad,C001,2026-11-01T08:00:00,42,3,5,7,4,no,,yes,,")
    return write(path, CHECKIN_HEADER + "\n" + "\n".join(rows) + "\n")


@pytest.mark.slow
def test_kill_mid_file_leaves_no_partial_rows(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    dates_before = count(engine, DimDate)
    indexes_before = {i["name"] for i in inspect(engine).get_indexes("fct_checkin")}
    fks_before = {f["name"] for f in inspect(engine).get_foreign_keys("pii_checkin_note")}
    assert "ix_fct_checkin_client_date" in indexes_before
    path = _big_file(tmp_path / "big.csv")
    url = url_of(engine)
    engine.dispose()

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path), "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Bulk mode from 1,000 rows: the kill must also roll back the dropped indexes and keys.
        env={**os.environ, "PYTHONPATH": os.getcwd(), "CASELOAD_INGEST_BULK_ROWS": "1000"},
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("MIDFILE"), child.stderr.read()
        assert child.poll() is None  # alive, two chunks written, the rest of the file to go
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()

    assert count(engine, FctCheckin) == 0
    assert count(engine, PiiCheckinNote) == 0
    assert count(engine, EtlQuarantine) == 0
    assert count(engine, DimDate) == dates_before
    assert {i["name"] for i in inspect(engine).get_indexes("fct_checkin")} == indexes_before
    assert {f["name"] for f in inspect(engine).get_foreign_keys("pii_checkin_note")} == fks_before
    assert loads(engine)[-1].status == "running"

    report = ingest_paths(engine, [path])
    assert report.interrupted_loads == 1
    killed = [r for r in loads(engine) if r.status == "failed"]
    assert [(r.path, r.error) for r in killed] == [(str(path), INTERRUPTED)]
    f = report.files[0]
    assert (f.read, f.inserted, f.rejected) == (ROWS + 1, ROWS, 1)
    assert count(engine, FctCheckin) == ROWS
    assert count(engine, PiiCheckinNote) == ROWS // 4

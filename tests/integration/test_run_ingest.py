"""``caseload run-ingest DROP_DIR``: complete files only, dependency order, moves with a report,
one risk refresh, one run at a time, and a killed run that the next one finishes."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from click.testing import CliRunner
from factories import url_of
from ingest_support import ALL, CHECKIN_HEADER, ROSTER, copy_fixtures, count, loads, write
from sqlalchemy import select

from dashboard.read.freshness import freshness
from etl.cli import main
from etl.ingest import ingest_paths, pending
from etl.ingest.dropfolder import run_drop_folder
from etl.ingest.runlock import RunLocked, run_lock
from etl.models import EtlRefreshPending, FctCheckin, FctRiskScore

DAY = dt.date(2026, 12, 2)


def _bad_file(drop):
    """A check-ins file without its client_id column: unreadable, fails whole."""
    return write(drop / "broken.csv", "checkin_id,submitted_at\nK9,2026-11-01T08:00:00\n")


def test_a_run_loads_in_order_moves_and_reports(engine, tmp_path) -> None:
    drop = tmp_path / "drop"
    # Given in reverse: the check-ins name clients the roster in the same run brings.
    copy_fixtures(drop, tuple(reversed(ALL)))
    write(
        drop / "more.csv",
        CHECKIN_HEADER + "\nK100,C001,2026-11-03T08:00:00,42,3,5,7,4,no,,yes,,private words\n",
    )
    _bad_file(drop)
    run = run_drop_folder(engine, drop, settle_seconds=0.05, today=DAY)

    assert not run.ok  # one file failed
    assert sorted(p.name for p in drop.iterdir()) == ["failed", "processed"]
    done = drop / "processed" / DAY.isoformat()
    assert sorted(p.name for p in done.iterdir() if not p.name.endswith(".report.json")) == sorted(
        [*ALL, "more.csv"]
    )
    failed = drop / "failed" / DAY.isoformat()
    assert sorted(p.name for p in failed.iterdir()) == ["broken.csv", "broken.csv.report.json"]
    broken = json.loads((failed / "broken.csv.report.json").read_text())
    assert broken["status"] == "failed" and "client_id" in broken["error"]
    assert broken["counts"]["inserted"] == 0

    report = json.loads((done / "more.csv.report.json").read_text())
    assert report["counts"] == {
        "read": 1,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "skipped": 0,
    }
    [reason] = report["quarantine"]
    assert reason["column"] == "craving" and reason["rows"] == 1 and reason["first_line"] == 2
    assert "private words" not in (done / "more.csv.report.json").read_text()
    checkins = json.loads((done / "checkins.csv.report.json").read_text())
    assert checkins["counts"]["inserted"] == 4 and checkins["status"] == "loaded"

    # Loaded in dependency order whatever the folder's order; every file its etl_load row.
    kinds = [r.kind for r in loads(engine) if r.status == "loaded"]
    assert kinds.index("clients") < kinds.index("checkins")
    assert count(engine, FctCheckin) == 4
    # Risk refreshed once, for the clients the files changed; nothing left owed.
    assert run.refreshed_clients == 3
    assert count(engine, FctRiskScore) > 0
    assert count(engine, EtlRefreshPending) == 0

    # Data freshness reads the run's loads: check-ins just loaded, not stale.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        program = freshness(conn, None, now=now)[0]
    by_kind = {k.kind: k for k in program.kinds}
    assert by_kind["checkins"].stale is False and by_kind["checkins"].age_hours < 1
    assert by_kind["checkins"].latest_rejected == 1  # more.csv, the newest check-ins load

    # The same file sent again the same day: unchanged, kept apart from the first copy.
    copy_fixtures(drop, ("checkins.csv",))
    again = run_drop_folder(engine, drop, settle_seconds=0.05, today=DAY)
    assert again.ok and again.results[0].unchanged == 4 and again.refreshed_clients == 0
    assert (done / "checkins-2.csv").exists() and (done / "checkins-2.csv.report.json").exists()


def test_files_being_written_wait_for_the_next_run(engine, tmp_path) -> None:
    drop = tmp_path / "drop"
    copy_fixtures(drop, ROSTER)
    write(drop / "checkins.csv.part", CHECKIN_HEADER + "\n")  # a sender's temporary name
    growing = drop / "screens.csv"
    growing.write_text("screen_id,client_id,collected_at,substance,result\n")
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            with growing.open("a") as f:
                f.write(f"D{n},C001,2026-11-02T10:00:00,cocaine,negative\n")
            n += 1
            time.sleep(0.05)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        run = run_drop_folder(engine, drop, settle_seconds=0.5, today=DAY)
    finally:
        stop.set()
        writer.join()
    assert run.ok
    assert run.waiting == ["checkins.csv.part", "screens.csv"]
    assert {src.name for src, _ in run.moved} == set(ROSTER)
    assert growing.exists() and (drop / "checkins.csv.part").exists()

    # Finished now: the next run takes it.
    nxt = run_drop_folder(engine, drop, settle_seconds=0.1, today=DAY)
    assert [src.name for src, _ in nxt.moved] == ["screens.csv"]
    assert nxt.results[0].status == "loaded" and nxt.results[0].inserted > 0


def test_a_second_run_exits_while_one_holds_the_lock(engine, tmp_path) -> None:
    drop = tmp_path / "drop"
    copy_fixtures(drop, ROSTER)
    with run_lock(engine, drop):
        result = CliRunner().invoke(
            main, ["run-ingest", str(drop), "--settle", "0", "--database-url", url_of(engine)]
        )
        assert result.exit_code == 75
        assert "another run-ingest holds" in result.output
        assert sorted(p.name for p in drop.iterdir() if not p.name.startswith(".")) == sorted(
            ROSTER
        )
        with pytest.raises(RunLocked):
            run_drop_folder(engine, drop, settle_seconds=0)
    result = CliRunner().invoke(
        main, ["run-ingest", str(drop), "--settle", "0", "--database-url", url_of(engine)]
    )
    assert result.exit_code == 0, result.output
    assert "programs.csv -> processed/" in result.output


def test_a_refresh_owed_by_a_killed_run_is_run_by_the_next(engine, tmp_path) -> None:
    """Loads committed (each with the refresh it owes), the process gone before refreshing:
    the next run, with no file at all, still refreshes, then owes nothing."""
    files = copy_fixtures(tmp_path / "in", ALL)
    ingest_paths(engine, files, before_commit=pending.remember)
    with engine.connect() as conn:
        owed = dict(
            conn.execute(select(EtlRefreshPending.client_key, EtlRefreshPending.from_date)).all()
        )
    assert len(owed) == 3 and min(owed.values()) == dt.date(2026, 9, 1)
    assert count(engine, FctRiskScore) == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    run = run_drop_folder(engine, drop, settle_seconds=0)
    assert run.refreshed_clients == 3 and not run.moved
    assert count(engine, FctRiskScore) > 0 and count(engine, EtlRefreshPending) == 0


# Stops itself after two chunks of the check-ins file were written in its open transaction.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from etl.db import make_engine
    from etl.ingest.dropfolder import run_drop_folder
    seen = []
    def progress(path, done, total):
        if path.endswith("big.csv"):
            seen.append(done)
            if len(seen) == 2:
                print("MIDFILE", flush=True)
                time.sleep(120)
    run_drop_folder(make_engine(sys.argv[1]), Path(sys.argv[2]), settle_seconds=0,
                    on_progress=progress)
    print("FINISHED", flush=True)
    """
)
ROWS = 20_000


@pytest.mark.slow
def test_a_run_killed_mid_load_is_finished_by_the_next(engine, tmp_path) -> None:
    drop = tmp_path / "drop"
    copy_fixtures(drop, ROSTER)
    rows = [
        f"K{i},C00{1 + i % 3},2026-11-{1 + i % 20:02d}T08:00:00,{i % 11},3,5,7,4,no,,yes,,"
        for i in range(ROWS)
    ]
    write(drop / "big.csv", CHECKIN_HEADER + "\n" + "\n".join(rows) + "\n")
    url = url_of(engine)
    engine.dispose()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(drop), "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "CASELOAD_CHUNK_ROWS": "2000"},
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("MIDFILE"), child.stderr.read()
        # The lock is held while the run lives.
        with pytest.raises(RunLocked):
            run_drop_folder(engine, drop, settle_seconds=0)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()

    # The roster committed, the check-ins did not; no file moved (moves follow the loads).
    assert count(engine, FctCheckin) == 0
    assert sorted(p.name for p in drop.iterdir() if not p.name.startswith(".")) == sorted(
        [*ROSTER, "big.csv"]
    )
    assert count(engine, EtlRefreshPending) == 3  # the roster's refresh, still owed
    assert count(engine, FctRiskScore) == 0

    run = run_drop_folder(engine, drop, settle_seconds=0, today=DAY)  # the lock was released
    assert run.ok
    by_name = {os.path.basename(r.path): r for r in run.results}
    assert by_name["clients.csv"].unchanged == 3  # committed before the kill: a no-op now
    assert (by_name["big.csv"].read, by_name["big.csv"].inserted) == (ROWS, ROWS)
    assert count(engine, FctCheckin) == ROWS
    assert run.refreshed_clients == 3 and count(engine, FctRiskScore) > 0
    assert count(engine, EtlRefreshPending) == 0
    assert sorted(p.name for p in drop.iterdir()) == ["processed"]
    assert [r.status for r in loads(engine)].count("running") == 0

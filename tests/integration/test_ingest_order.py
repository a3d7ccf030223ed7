"""Files may arrive out of order: facts before their roster wait in quarantine, then load."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from factories import url_of
from ingest_support import ROSTER, checkins, copy_fixtures, count, loads, quarantine
from sqlalchemy import select

from etl.cli import main
from etl.ingest import ingest_paths
from etl.models import DimClient, FctCheckin, FctDrugScreen, PiiCheckinNote

HINT = "(not in the roster: load clients.csv, then caseload ingest --retry-quarantine)"


def test_checkins_before_roster_wait_then_load_on_retry(engine, tmp_path) -> None:
    early = copy_fixtures(tmp_path / "early", ("checkins.csv", "drug_screens.csv"))
    first = ingest_paths(engine, early)
    assert [(f.kind, f.read, f.rejected, f.inserted) for f in first.files] == [
        ("checkins", 4, 4, 0),
        ("drug_screens", 2, 2, 0),
    ]
    waiting = quarantine(engine, "open")
    assert [q.reason for q in waiting[:2]] == [
        f"unknown client_id 'C001' {HINT}",
        f"unknown client_id 'C001' {HINT}",
    ]
    assert [(q.kind, q.line) for q in waiting] == [
        ("checkins", 2),
        ("checkins", 3),
        ("checkins", 4),
        ("checkins", 5),
        ("drug_screens", 2),
        ("drug_screens", 3),
    ]

    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ROSTER))
    url = url_of(engine)
    result = CliRunner().invoke(
        main, ["ingest", "--retry-quarantine", "--json", "--database-url", url]
    )
    assert result.exit_code == 0, result.output

    assert count(engine, FctCheckin) == 4 and count(engine, FctDrugScreen) == 2
    assert count(engine, PiiCheckinNote) == 2
    assert quarantine(engine, "open") == []
    assert all(q.status == "loaded" and q.resolved_at is not None for q in quarantine(engine))
    retries = [r for r in loads(engine) if r.path == "(quarantine retry)"]
    assert [(r.kind, r.rows_read, r.rows_inserted, r.rows_rejected) for r in retries] == [
        ("checkins", 4, 4, 0),
        ("drug_screens", 2, 2, 0),
    ]
    with engine.connect() as conn:
        k4 = conn.execute(select(FctCheckin).where(FctCheckin.checkin_id == "K004")).one()
        c3 = conn.execute(
            select(DimClient.client_key).where(DimClient.client_id == "C003")
        ).scalar()
    assert k4.client_key == c3 and k4.local_date == dt.date(2026, 11, 3)

    # Nothing left: a second retry loads nothing and reports nothing.
    again = ingest_paths(engine, [], retry_quarantine=True)
    assert again.files == []


def test_retry_keeps_rows_that_still_fail_with_todays_reason(engine, tmp_path) -> None:
    path = checkins(
        tmp_path / "k.csv",
        "K1,C001,2026-11-05T08:00:00,3,4,6,7.5,4,no,,yes,,",
        "K2,C777,2026-11-05T08:00:00,3,4,6,7.5,4,no,,yes,,",
        "K3,C001,2026-11-05T08:00:00,12,4,6,7.5,4,no,,yes,,",
    )
    ingest_paths(engine, [path])
    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ROSTER))
    report = ingest_paths(engine, [], retry_quarantine=True)
    [r] = report.files
    assert (r.kind, r.read, r.inserted, r.rejected) == ("checkins", 3, 1, 2)
    assert r.balanced
    still = quarantine(engine, "open")
    assert [(q.line, q.reason) for q in still] == [
        (3, f"unknown client_id 'C777' {HINT}"),
        (4, "craving 12 out of range 0-10"),
    ]
    assert len(quarantine(engine)) == 3  # entries are updated in place, never duplicated
    assert report.changes  # K1 touched its client's day


def test_one_run_sorts_files_by_dependency(engine, tmp_path) -> None:
    files = copy_fixtures(tmp_path)
    report = ingest_paths(engine, [files[3], files[4], files[2], files[1], files[0]])
    assert [f.kind for f in report.files] == [
        "programs",
        "staff",
        "clients",
        "checkins",
        "drug_screens",
    ]
    assert sum(f.rejected for f in report.files) == 0


def test_retry_never_overwrites_a_newer_version(engine, tmp_path) -> None:
    old = checkins(tmp_path / "old.csv", "K1,C001,2026-11-05T08:00:00,3,4,6,7.5,4,no,,yes,,")
    ingest_paths(engine, [old])  # waits: no roster yet
    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ROSTER))
    new = checkins(tmp_path / "new.csv", "K1,C001,2026-11-05T08:00:00,8,4,6,7.5,4,no,,yes,,")
    ingest_paths(engine, [new])

    [r] = ingest_paths(engine, [], retry_quarantine=True).files
    assert (r.read, r.inserted, r.updated, r.unchanged, r.rejected) == (1, 0, 0, 1, 0)
    assert [q.status for q in quarantine(engine)] == ["superseded"]
    with engine.connect() as conn:
        craving = conn.execute(select(FctCheckin.craving)).scalar_one()
    assert craving == 8

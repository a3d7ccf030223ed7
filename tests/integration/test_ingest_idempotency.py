"""Loading the same data twice changes nothing; a re-sent id with new content is a correction."""

from __future__ import annotations

import datetime as dt

from ingest_support import ROSTER, checkins, copy_fixtures, count, loads, quarantine
from sqlalchemy import select

from etl.ingest import ingest_paths
from etl.models import (
    DimClient,
    EtlQuarantine,
    EtlRecordHistory,
    FctCheckin,
    PiiCheckinNote,
    PiiClient,
)


def _snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {
            "checkins": conn.execute(select(FctCheckin).order_by(FctCheckin.checkin_id)).all(),
            "clients": conn.execute(select(DimClient).order_by(DimClient.client_id)).all(),
            "notes": conn.execute(select(PiiCheckinNote)).all(),
            "pii": conn.execute(select(PiiClient)).all(),
        }


def test_same_files_twice_change_nothing(engine, tmp_path) -> None:
    files = copy_fixtures(tmp_path)
    bad = checkins(tmp_path / "late.csv", "K900,C001,2026-11-05T08:00:00,14,1,1,7,3,no,,yes,,")
    ingest_paths(engine, [*files, bad])
    before = _snapshot(engine)
    quarantined = len(quarantine(engine))

    again = ingest_paths(engine, [*files, bad])

    by_name = {f.path.rsplit("/", 1)[-1]: f for f in again.files}
    assert [
        (f.read, f.unchanged, f.inserted, f.updated)
        for name, f in by_name.items()
        if name != "late.csv"
    ] == [(2, 2, 0, 0), (3, 3, 0, 0), (3, 3, 0, 0), (4, 4, 0, 0), (2, 2, 0, 0)]
    late = by_name["late.csv"]
    assert (late.read, late.rejected, late.unchanged) == (1, 1, 0)
    assert _snapshot(engine) == before  # not even updated_at or load_id moved
    assert len(quarantine(engine)) == quarantined == 1  # the same bad row is not queued twice
    assert count(engine, EtlRecordHistory) == 0
    assert not again.changes
    assert len(loads(engine)) == 12  # the bookkeeping does record both runs


def test_correction_updates_and_keeps_history(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path))
    fix = checkins(
        tmp_path / "fix.csv",
        "K001,C001,2026-11-01T08:30:00,6,4,6,7.5,4,no,,yes,walk,slept badly after all",
        "K003,C002,2026-11-02T09:00:00-05:00,2,2,8,8,5,,music,yes,,",
        "K005,C002,2026-11-04T07:00:00,1,1,9,8,5,no,,yes,,",
    )
    report = ingest_paths(engine, [fix])
    f = report.files[0]
    assert (f.read, f.inserted, f.updated, f.unchanged, f.rejected) == (3, 1, 1, 1, 0)

    with engine.connect() as conn:
        k1 = conn.execute(select(FctCheckin).where(FctCheckin.checkin_id == "K001")).one()
        note = conn.execute(
            select(PiiCheckinNote.note).where(PiiCheckinNote.checkin_key == k1.checkin_key)
        ).scalar_one()
        history = conn.execute(select(EtlRecordHistory)).all()
        c1 = conn.execute(
            select(DimClient.client_key).where(DimClient.client_id == "C001")
        ).scalar()
        c2 = conn.execute(
            select(DimClient.client_key).where(DimClient.client_id == "C002")
        ).scalar()
    assert k1.craving == 6 and k1.load_id == f.load_id
    assert note == "slept badly after all"
    assert len(history) == 1
    h = history[0]
    assert (h.table_name, h.natural_id, h.load_id) == ("fct_checkin", "K001", f.load_id)
    # The note is PHI: history says it changed, never what it said.
    assert h.changes == {
        "craving": {"old": 3, "new": 6},
        "note": {"old": "[redacted]", "new": "[redacted]"},
    }
    assert report.changes.client_dates == {c1: dt.date(2026, 11, 1), c2: dt.date(2026, 11, 4)}


def test_correction_that_moves_a_checkin_touches_both_days(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path))
    moved = checkins(
        tmp_path / "moved.csv",
        "K002,C001,2026-10-20T12:00:00,5,6,5,6,3,no,people;places,no,called sponsor,",
    )
    report = ingest_paths(engine, [moved])
    with engine.connect() as conn:
        c1 = conn.execute(
            select(DimClient.client_key).where(DimClient.client_id == "C001")
        ).scalar()
        changes = conn.execute(select(EtlRecordHistory.changes)).scalar_one()
    assert report.changes.client_dates == {c1: dt.date(2026, 10, 20)}
    assert changes["local_date"] == {"old": "2026-11-02", "new": "2026-10-20"}
    assert changes["submitted_at"]["new"] == "2026-10-20T16:00:00"


def test_roster_correction_and_removed_note(engine, tmp_path) -> None:
    files = copy_fixtures(tmp_path)
    ingest_paths(engine, files)
    roster = (
        (tmp_path / "clients.csv")
        .read_text()
        .replace(
            "C002,P1,S1,Jordan,Blake,1975-11-30,male,10012,212-555-0199,,2026-09-15,,",
            "C002,P1,S1,Jordan,Blake,1975-11-30,male,10012,212-555-0199,,2026-09-15,2026-11-25,",
        )
    )
    (tmp_path / "clients2.csv").write_text(roster)
    drop_note = checkins(
        tmp_path / "k4.csv", "K004,C003,2026-11-03T22:15:00,7,8,3,4.5,2,yes,emotions;other,no,,"
    )
    report = ingest_paths(engine, [tmp_path / "clients2.csv", drop_note])
    assert [(f.updated, f.unchanged) for f in report.files] == [(1, 2), (1, 0)]
    with engine.connect() as conn:
        c2 = conn.execute(select(DimClient).where(DimClient.client_id == "C002")).one()
        notes = conn.execute(select(PiiCheckinNote.note)).scalars().all()
        history = {r.natural_id: r.changes for r in conn.execute(select(EtlRecordHistory)).all()}
    assert c2.discharge_date == dt.date(2025 + 1, 11, 25)
    assert notes == ["slept fine"]
    assert history["C002"] == {"discharge_date": {"old": None, "new": "2026-11-25"}}
    assert history["K004"] == {"note": {"old": "[redacted]", "new": "[redacted]"}}


def test_repeated_id_in_one_file_applies_in_order(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    twice = checkins(
        tmp_path / "twice.csv",
        "K100,C001,2026-11-10T08:00:00,2,2,7,7,4,no,,yes,,",
        "K101,C001,2026-11-11T08:00:00,2,2,7,7,4,no,,yes,,",
        "K100,C001,2026-11-10T08:00:00,9,2,7,7,4,no,,yes,,",
        "K100,C001,2026-11-10T08:00:00,9,2,7,7,4,no,,yes,,",
    )
    f = ingest_paths(engine, [twice]).files[0]
    assert (f.read, f.inserted, f.updated, f.unchanged) == (4, 2, 1, 1)
    with engine.connect() as conn:
        craving = conn.execute(
            select(FctCheckin.craving).where(FctCheckin.checkin_id == "K100")
        ).scalar_one()
    assert craving == 9
    assert count(engine, EtlQuarantine) == 0

"""The Brief Addiction Monitor: hand-scored forms load with their scales, bad answers do not."""

from __future__ import annotations

import datetime as dt

import pytest
from ingest_support import FIXTURES, ROSTER, copy_fixtures, count, quarantine, write
from sqlalchemy import select

from etl import bam
from etl.ingest import ingest_paths
from etl.models import EtlRecordHistory, FctBam

HEADER = "response_id,client_id,completed_at,recall_days," + ",".join(bam.ITEMS)
# A valid monthly form: Use 0, Risk 9, Protective 20 (the same answers as fixture form B1).
GOOD = {
    "item_1": "1", "item_2": "2", "item_3": "0", "item_4": "0", "item_5": "0", "item_6": "0",
    "item_8": "3", "item_9": "4", "item_10": "3", "item_11": "2", "item_12": "4", "item_13": "3",
    "item_14": "4", "item_15": "1", "item_16": "2", "item_17": "3",
}  # fmt: skip


def form(rid: str, client: str = "C001", recall: str = "30", **answers: str) -> str:
    values = {**GOOD, **answers}
    at = "2026-11-05T10:00"
    return ",".join([rid, client, at, recall, *(values.get(i, "") for i in bam.ITEMS)])


def _load(engine, tmp_path, *rows: str):
    copy_fixtures(tmp_path, ROSTER)
    path = write(tmp_path / "bam.csv", "\n".join([HEADER, *rows]) + "\n")
    return ingest_paths(engine, [*(tmp_path / n for n in ROSTER), path])


def _forms(engine) -> dict[str, FctBam]:
    with engine.connect() as conn:
        return {r.response_id: r for r in conn.execute(select(FctBam))}


def test_hand_scored_forms(engine, tmp_path) -> None:
    files = copy_fixtures(tmp_path, (*ROSTER, "bam.csv"))
    report = ingest_paths(engine, files)
    bam_file = report.files[-1]
    assert (bam_file.kind, bam_file.read, bam_file.inserted, bam_file.rejected) == ("bam", 4, 4, 0)
    got = _forms(engine)
    scored = {
        rid: (
            r.use_score,
            r.risk_score,
            r.protective_score,
            r.is_use_flagged,
            r.is_risk_flagged,
            r.is_protective_flagged,
        )
        for rid, r in got.items()
    }
    # Scored by hand from tests/fixtures/ingest/bam.csv:
    # B1 use 0+0+0, risk 1+2+0+3+2+1, protective 4+3+4+3+4+2
    # B2 use 2+1+0, risk 4+3+2+3+2+1, protective 1+0+2+1+3+2
    # B3 every cut-off met exactly: use 1, risk 12, protective 12 (items 7 and 17 all 4)
    # B4 one short of each: use 0, risk 11, protective 13
    assert scored == {
        "B1": (0, 9, 20, False, False, False),
        "B2": (3, 15, 9, True, True, True),
        "B3": (1, 12, 12, True, True, True),
        "B4": (0, 11, 13, False, False, False),
    }
    assert got["B3"].item_7a == 4 and got["B3"].item_17 == 4  # kept, and in no scale
    assert got["B2"].item_7a is None and got["B4"].item_17 is None
    assert got["B2"].recall_days == 7 and got["B1"].recall_days == 30
    # Naive times are the program's wall clock; local_date is the program's day.
    assert got["B1"].completed_at == dt.datetime(2026, 10, 1, 14, 0)
    assert got["B2"].completed_at == dt.datetime(2026, 10, 20, 22, 30)
    assert got["B4"].completed_at == dt.datetime(2026, 11, 3, 6, 30)
    assert got["B4"].local_date == dt.date(2026, 11, 2)  # Denver evening


INVALID = [
    ({"item_5": "5"}, "item_5", "5", "item_5 5 out of range 0-4"),
    ({"item_9": "-1"}, "item_9", "-1", "item_9 -1 out of range 0-4"),
    ({"item_7c": "7"}, "item_7c", "7", "item_7c 7 out of range 0-4"),
    ({"item_17": "9"}, "item_17", "9", "item_17 9 out of range 0-4"),
    ({"item_3": "two"}, "item_3", "two", "item_3 'two' is not a whole number"),
    ({"item_2": "2.5"}, "item_2", "2.5", "item_2 '2.5' is not a whole number"),
    ({"item_12": ""}, "item_12", None, "item_12 is missing"),
    ({"recall": "14"}, "recall_days", "14", "recall_days '14' is not 30 or 7"),
    ({"recall": "weekly"}, "recall_days", "weekly", "recall_days 'weekly' is not 30 or 7"),
    ({"recall": ""}, "recall_days", None, "recall_days is missing"),
    (
        {"client": "C999"},
        "client_id",
        "C999",
        "unknown client_id 'C999' (not in the roster: load clients.csv, "
        "then caseload ingest --retry-quarantine)",
    ),
]


@pytest.mark.parametrize(("change", "column", "value", "reason"), INVALID)
def test_invalid_answers_are_quarantined_with_the_reason(
    engine, tmp_path, change, column, value, reason
) -> None:
    change = dict(change)
    recall = change.pop("recall", "30")
    client = change.pop("client", "C001")
    report = _load(
        engine, tmp_path, form("OK1"), form("BAD", client=client, recall=recall, **change)
    )
    result = report.files[-1]
    assert (result.read, result.inserted, result.rejected) == (2, 1, 1)
    assert set(_forms(engine)) == {"OK1"}
    [entry] = quarantine(engine)
    assert (entry.kind, entry.line, entry.column_name, entry.value, entry.reason) == (
        "bam",
        3,
        column,
        value,
        reason,
    )


def test_two_faults_in_one_form_are_reported_together(engine, tmp_path) -> None:
    _load(engine, tmp_path, form("BAD", recall="14", item_4="6"))
    [entry] = quarantine(engine)
    assert entry.column_name == "recall_days"
    assert entry.reason == "recall_days '14' is not 30 or 7; item_4 6 out of range 0-4"


def test_a_corrected_form_is_rescored_and_its_history_kept(engine, tmp_path) -> None:
    _load(engine, tmp_path, form("F1"))
    assert _forms(engine)["F1"].risk_score == 9
    again = write(tmp_path / "again" / "bam.csv", HEADER + "\n" + form("F1", item_1="4") + "\n")
    report = ingest_paths(engine, [again])
    assert (report.files[0].updated, report.files[0].inserted) == (1, 0)
    row = _forms(engine)["F1"]
    assert (row.item_1, row.risk_score, row.is_risk_flagged) == (4, 12, True)
    with engine.connect() as conn:
        [history] = conn.execute(
            select(EtlRecordHistory).where(EtlRecordHistory.table_name == "fct_bam")
        ).all()
    assert history.natural_id == "F1"
    assert history.changes["item_1"] == {"old": 1, "new": 4}
    assert count(engine, FctBam) == 1
    # Re-sending the same file changes nothing.
    report = ingest_paths(engine, [again])
    assert (report.files[0].unchanged, report.files[0].updated) == (1, 0)


def test_fixture_file_is_recognised_as_bam() -> None:
    from etl.ingest.sources import open_file

    assert open_file(FIXTURES / "bam.csv").kind.name == "bam"

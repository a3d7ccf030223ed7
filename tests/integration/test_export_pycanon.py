"""Our k-anonymity and l-diversity measure against pycanon's, on exported files read back.

The export repairs and re-measures with ``etl.export.anonymity.measure``; pycanon is the
maintained library the issue names, installed without its pinned dependencies (see the
Makefile). Blank quasi-identifiers are filled before pycanon groups, as SECURITY.md warns it
drops them. Each case is also checked against the k or l asked for, so a failing case is
one where both measures must say it fails.
"""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from pycanon import anonymity as pycanon

from etl.export import anonymity, records
from etl.export.records import Query
from etl.export.run import export_records
from tests.integration.export_world import seed

QIS = list(anonymity.QUASI_IDENTIFIERS)
# The full set and subsets a recipient might link on.
QI_SETS = (
    QIS,
    ["age_band", "sex", "zip3"],
    ["age_band", "admission_year"],
    ["sex", "zip3", "program"],
)


@pytest.fixture
def world(engine):
    return seed(engine)


def _people_from_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per pseudonym as a recipient would build it from the file."""
    g = rows.groupby("pseudonym")
    people = g[QIS].first().fillna("unknown")
    people["any_use"] = g["used"].max().astype(int) | g["screen_positive"].max().astype(int)
    return people.reset_index(drop=True)


def _csv_people(path) -> pd.DataFrame:
    return _people_from_rows(pd.read_csv(path, dtype=str, keep_default_na=False))


def _xlsx_people(path) -> pd.DataFrame:
    rows = list(load_workbook(path, read_only=True)["data"].iter_rows(values_only=True))
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    return _people_from_rows(frame.astype({c: str for c in QIS}))


def _both(people: pd.DataFrame, qis: list[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    ours = anonymity.measure(people, qis)
    theirs = (
        pycanon.k_anonymity(people, qis),
        pycanon.l_diversity(people, qis, ["any_use"]),
    )
    return (ours.k, ours.l_div), theirs


@pytest.mark.parametrize("k", [2, 5, 11])
def test_k_and_l_of_exported_files_agree_with_pycanon(engine, world, tmp_path, k):
    csv_path, xlsx_path = tmp_path / "r.csv", tmp_path / "r.xlsx"
    result = export_records(engine, csv_path, k=k, l_div=2)
    export_records(engine, xlsx_path, fmt="xlsx", k=k, l_div=2)
    for people in (_csv_people(csv_path), _xlsx_people(xlsx_path)):
        assert len(people) == result.summary["people"] > 0
        for qis in QI_SETS:
            ours, theirs = _both(people, qis)
            assert ours == theirs, qis
            assert ours[0] >= k and ours[1] >= 2  # coarser sets only merge classes
        ours, theirs = _both(people, QIS)
        assert ours == (result.summary["k_reached"], result.summary["l_reached"])


def test_a_failing_k_is_found_by_both(engine, world, tmp_path):
    """Before the repair the lone clients stand alone (k=1), and a file released at k=2 does
    not reach k=11: both measures fall short by the same figure."""
    raw = records.people(records.load(engine, Query())).reset_index(drop=True)
    ours, theirs = _both(raw, QIS)
    assert ours == theirs and ours[0] == 1
    path = tmp_path / "r.csv"
    export_records(engine, path, k=2, l_div=1)
    ours, theirs = _both(_csv_people(path), QIS)
    assert ours == theirs and 2 <= ours[0] < 11


def test_a_blank_quasi_identifier_counts_as_its_own_class_in_both():
    people = pd.DataFrame(
        {
            "age_band": ["25-34"] * 6,
            "sex": ["female"] * 5 + [None],
            "any_use": [0, 1, 0, 1, 0, 1],
        }
    ).fillna("unknown")
    ours, theirs = _both(people, ["age_band", "sex"])
    assert ours == theirs == (1, 1)

"""Expert Determination mode: dates kept, each client's moved by one secret offset; Safe
Harbor mode keeps no date but years."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from etl.export.date_shift import MAX_SHIFT_DAYS
from etl.export.records import Query
from etl.export.run import export_records
from etl.models import DimClient, ExportDateShift, ExportPseudonym
from tests.integration.export_world import seed

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture
def world(engine):
    return seed(engine)


def _links(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ExportPseudonym.pseudonym,
                ExportDateShift.offset_days,
                DimClient.admission_date,
            )
            .join(ExportDateShift, ExportDateShift.client_key == ExportPseudonym.client_key)
            .join(DimClient, DimClient.client_key == ExportPseudonym.client_key)
        ).all()
    return pd.DataFrame(rows, columns=["pseudonym", "offset", "admitted"]).set_index("pseudonym")


@pytest.mark.parametrize("grain", ["day", "week"])
def test_shift_is_one_secret_offset_per_client(engine, world, tmp_path, grain):
    path = tmp_path / "ed.csv"
    result = export_records(
        engine, path, mode="expert_determination", stable=True, query=Query(grain=grain)
    )
    df = pd.read_csv(path, dtype={"zip3": str})
    assert result.summary["mode"] == "expert_determination"
    notice = (tmp_path / "ed.csv.notice.txt").read_text()
    assert "Expert Determination" in notice and "mode: expert_determination" in notice
    step = 1 if grain == "day" else 7
    date, admitted = pd.to_datetime(df["date"]), pd.to_datetime(df["admission_date"])
    # Within a client: one admission date, and every date keeps its true interval.
    assert (df.groupby("pseudonym")["admission_date"].nunique() == 1).all()
    assert ((date - admitted).dt.days == df["period"] * step).all()
    # The shift is the stored offset, non-zero, bounded, and differs between clients.
    links = _links(engine)
    first = df.drop_duplicates("pseudonym").set_index("pseudonym")
    real = pd.to_datetime(links.loc[first.index, "admitted"])
    shift = (pd.to_datetime(first["admission_date"]) - real).dt.days
    assert (shift == links.loc[first.index, "offset"]).all()
    assert (shift != 0).all() and (shift.abs() <= MAX_SHIFT_DAYS).all()
    assert shift.nunique() > len(shift) // 2
    # Export again: the same client moves by the same offset.
    again = tmp_path / "again.csv"
    export_records(
        engine, again, mode="expert_determination", stable=True, query=Query(grain=grain)
    )
    second = pd.read_csv(again).drop_duplicates("pseudonym").set_index("pseudonym")
    assert (second.loc[first.index, "admission_date"] == first["admission_date"]).all()


def test_expert_determination_xlsx_documents_shifted_columns(engine, world, tmp_path):
    path = tmp_path / "ed.xlsx"
    export_records(engine, path, fmt="xlsx", mode="expert_determination")
    wb = load_workbook(path, read_only=True)
    docs = {r[0]: r[1] for r in wb["columns"].iter_rows(min_row=2, values_only=True)}
    assert "secret offset" in docs["admission_date"] and "date" in docs
    notice = "\n".join(str(r[0]) for r in wb["notice"].iter_rows(values_only=True) if r and r[0])
    assert "Expert Determination" in notice


def test_safe_harbor_mode_has_no_dates_but_years(engine, world, tmp_path):
    path = tmp_path / "sh.csv"
    result = export_records(engine, path, query=Query(grain="day"))
    text = path.read_text()
    assert result.summary["mode"] == "safe_harbor"
    assert not ISO.search(text)
    df = pd.read_csv(path, dtype=str)
    assert not {"date", "admission_date"} & set(df.columns)
    assert set(df["admission_year"]) <= {"2026", "*"}
    with engine.connect() as conn:  # Safe Harbor draws no offsets
        assert conn.execute(select(ExportDateShift.client_key)).first() is None

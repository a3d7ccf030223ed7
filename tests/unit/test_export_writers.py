"""The export writers: formula-looking text neutralised, numbers kept as numbers, blanks empty."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from etl.export import writers

SUMMARY = {
    "mode": "safe_harbor",
    "level": "aggregate",
    "grain": "month",
    "cells": 3,
    "cells_suppressed": 1,
    "suppressed_primary": 1,
    "suppressed_complementary": 0,
    "k_reached": 12,
    "rows": 3,
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "program": pd.Series(["=HYPERLINK(1)", "+P2", "P3"], dtype="string"),
            "census_end": pd.Series([12, "*", 40], dtype=object),
            "adherence": [0.5, np.nan, -0.25],
        }
    )


def test_csv_quotes_formulas_keeps_header_plain(tmp_path):
    path = tmp_path / "a.csv"
    writers.write_csv(_frame(), path)
    text = path.read_text()
    assert text.splitlines()[0] == "program,census_end,adherence"  # any reader's header row
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [["'=HYPERLINK(1)", "12", "0.5"], ["'+P2", "*", ""], ["P3", "40", "-0.25"]]
    assert pd.read_csv(path)["adherence"].tolist()[::2] == [0.5, -0.25]


def test_xlsx_numbers_stay_numbers_and_text_is_never_a_formula(tmp_path):
    path = tmp_path / "a.xlsx"
    docs = {"program": "p", "census_end": "c", "adherence": "a"}
    writers.write_xlsx(_frame(), SUMMARY, path, docs=docs)
    wb = load_workbook(path)
    assert wb.sheetnames == ["notice", "columns", "data"]
    rows = list(wb["data"].iter_rows(values_only=True))
    assert rows[0] == ("program", "census_end", "adherence")
    assert rows[1] == ("'=HYPERLINK(1)", 12, 0.5)
    assert rows[2] == ("'+P2", "*", None)
    assert rows[3] == ("P3", 40, -0.25)
    assert all(c.data_type != "f" for row in wb["data"].iter_rows() for c in row)


def test_xlsx_continues_on_a_second_sheet_past_the_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
    path = tmp_path / "b.xlsx"
    frame = pd.DataFrame({"program": pd.Series(list("abcde"), dtype="string")})
    writers.write_xlsx(frame, SUMMARY, path, docs={"program": "p"})
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["notice", "columns", "data", "data_2", "data_3"]
    values = [
        r[0]
        for name in ("data", "data_2", "data_3")
        for r in wb[name].iter_rows(min_row=2, values_only=True)
    ]
    assert values == list("abcde")

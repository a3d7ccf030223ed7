"""Owner-only CSV and XLSX files plus the notice every de-identified file carries.

Files are opened with O_EXCL | O_NOFOLLOW after removing any leftover name, so a symlink
planted in a shared directory is neither followed nor written through (as ``caseload scores``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from etl.export.aggregate import SUPPRESSION_DOC
from etl.export.records import COLUMN_DOCS
from etl.export.safe_harbor import CHECKLIST, NOTICE_42_CFR_PART_2

Progress = Callable[[int, int], None]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def private_file(path: Path, binary: bool = False) -> IO:
    path.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    return open(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")


MODES = ("safe_harbor", "expert_determination")


def _method(summary: dict) -> list[str]:
    if summary.get("mode") == "expert_determination":
        return [
            "De-identification: Expert Determination, 45 CFR 164.514(b)(1) "
            "(mode: expert_determination), under the determination the program documents.",
            "Dates: each client's dates are moved by one secret random offset (up to "
            f"{summary.get('max_shift_days', 182)} days either way, drawn per client and held "
            "by the program, never sent); intervals within a client are kept. Every other "
            "Safe Harbor identifier is removed as listed below.",
        ]
    return ["De-identification: HIPAA Safe Harbor, 45 CFR 164.514(b)(2) (mode: safe_harbor)."]


def statement(summary: dict) -> list[str]:
    """The de-identification statement: the method, the figures and the 18-item checklist."""
    lines = _method(summary)
    if summary.get("level") == "aggregate":
        lines += [
            f"Aggregate figures by program, counselor (random labels drawn for this export) and "
            f"{summary['grain']}; no row describes a single client.",
            f"Small cells: {summary['cells']} cells, {summary['cells_suppressed']} suppressed "
            f"({summary['suppressed_primary']} primary: counts of 1 to 10 clients or rates "
            f"resting on fewer than 11; {summary['suppressed_complementary']} complementary: "
            "cells from which a suppressed one could be recovered by subtraction). "
            f"Smallest client base of a published cell: {summary['k_reached']}.",
            f"Rows: {summary['rows']}.",
            SUPPRESSION_DOC,
        ]
    else:
        lines += [
            f"k-anonymity: requested k={summary['k']}, reached k={summary['k_reached']}; "
            f"l-diversity of any use/positive screen: requested l={summary['l']}, "
            f"reached l={summary['l_reached']}.",
            f"Quasi-identifiers checked over the rows as written: age band, sex, ZIP3, program, "
            f"admission year. People: {summary['people']}; generalised: "
            f"{summary['generalised']}; suppressed: {summary['suppressed']}. "
            f"Rows: {summary['rows']}.",
        ]
    lines.append("Identifiers removed:")
    lines += [f"  {i.code}. {i.name}: {_handling(i, summary)}" for i in CHECKLIST]
    return lines


def _handling(item, summary: dict) -> str:
    if item.code == "C" and summary.get("mode") == "expert_determination":
        return "dates moved by a secret per-client offset; ages in bands, 90+ as one"
    if item.code == "C" and summary.get("level") == "aggregate":
        return "no client dates: calendar periods of the program only; no ages"
    if item.code == "R" and summary.get("level") == "aggregate":
        return "no client rows; counselors under random labels drawn for each export"
    return item.handling


def notice_text(summary: dict) -> str:
    return "\n".join(["42 CFR Part 2 notice", NOTICE_42_CFR_PART_2, "", *statement(summary)]) + "\n"


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


def _safe_column(col: pd.Series) -> pd.Series:
    """``_safe`` for a whole text column: a cell a spreadsheet would run as a formula gets a
    leading quote. Numbers are left alone (a negative number is not a formula); a category
    column (pseudonyms, quasi-identifiers, tiers) is checked once per distinct value."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if cats.dtype.kind in "biufcmM":
            return col
        safe = [_safe(v) for v in cats]
        if safe == list(cats):
            return col
        if len(set(safe)) == len(safe):
            return col.cat.rename_categories(safe)
        return _safe_column(col.astype(object))
    if col.dtype.kind in "biufcmM":
        return col
    text = col.astype("string")
    risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool)
    return text.where(~risky, "'" + text) if risky.any() else text


def write_csv(frame: pd.DataFrame, path: Path, progress: Progress | None = None) -> None:
    """Header row then the rows, empty for missing; written by pyarrow in blocks (a Python
    loop over 35 million cells took minutes). Category columns go over as dictionaries, so
    the file is written without a string per cell ever being made in Python."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    total = len(frame)
    options = pacsv.WriteOptions(quoting_style="needed", include_header=False)
    table = pa.Table.from_pandas(
        pd.DataFrame({c: _safe_column(frame[c]) for c in frame.columns}, copy=False),
        preserve_index=False,
    )
    step = 200_000
    with private_file(path, binary=True) as fh:
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(frame.columns)
        fh.write(header.getvalue().encode())
        with pacsv.CSVWriter(fh, table.schema, write_options=options) as writer:
            for start in range(0, total, step):
                writer.write_table(table.slice(start, step))
                if progress:
                    progress(min(start + step, total), total)


def write_notice(summary: dict, path: Path) -> None:
    with private_file(path) as fh:
        fh.write(notice_text(summary))


XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit, header row included


def _python_values(col: pd.Series) -> list:
    """One column as plain Python values, None for missing (an empty cell), text made safe."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        labels = np.array([_safe(v) for v in col.cat.categories] + [None], dtype=object)
        return labels[col.cat.codes.to_numpy()].tolist()  # code -1 (missing) takes the None
    if col.dtype.kind in "biu":
        return col.tolist()
    if col.dtype.kind == "f":
        values = col.to_numpy()
        return np.where(np.isnan(values), None, values.astype(object)).tolist()
    if col.dtype == object:  # mixed (the aggregate's numbers and "*"): numbers stay numbers
        return [_safe(v) for v in col.tolist()]
    values = _safe_column(col)
    return values.astype(object).where(col.notna(), None).tolist()


def _cell_writers(sheet, frame: pd.DataFrame) -> list:
    """Per column, the XlsxWriter call its cells end up in: numbers to ``_write_number``, text
    to ``_write_string``, mixed columns through ``write``. ``write`` finds the same two calls
    cell by cell (with formulas, URLs and numbers-in-text already off), which cost a third of
    the time of a year's 35 million cells; without those methods everything goes via ``write``."""
    number = getattr(sheet, "_write_number", None)
    text = getattr(sheet, "_write_string", None)
    out = []
    for c in frame.columns:
        dtype = frame[c].dtype
        if number is None or text is None:
            out.append(sheet.write)
        elif isinstance(dtype, pd.CategoricalDtype):
            textual = dtype.categories.dtype == object or dtype.categories.dtype == "string"
            out.append(text if textual else sheet.write)
        elif isinstance(dtype, pd.StringDtype):
            out.append(text)
        elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            out.append(number)
        else:  # mixed, dates...: the general call
            out.append(sheet.write)
    return out


def write_xlsx(
    frame: pd.DataFrame,
    summary: dict,
    path: Path,
    progress: Progress | None = None,
    docs: dict[str, str] | None = None,
) -> None:
    """Sheets: the notice and statement, what each column means, then the data (``data``,
    continued on ``data_2``... past a worksheet's 1,048,576 rows). XlsxWriter in constant-memory
    mode streams the rows; no cell text is read as a formula or a link."""
    import xlsxwriter

    meanings = docs or COLUMN_DOCS
    with private_file(path, binary=True) as fh:
        wb = xlsxwriter.Workbook(
            fh,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "tmpdir": str(path.parent),
            },
        )
        notice = wb.add_worksheet("notice")
        lines = ["42 CFR Part 2 notice", NOTICE_42_CFR_PART_2, None, *statement(summary)]
        for r, line in enumerate(lines):
            if line is not None:
                notice.write_string(r, 0, line)
        sheet = wb.add_worksheet("columns")
        sheet.write_row(0, 0, ["column", "meaning and de-identification"])
        for r, name in enumerate(frame.columns, 1):
            sheet.write_row(r, 0, [name, meanings[name]])
        total = len(frame)
        per_sheet = XLSX_MAX_ROWS - 1
        for part, first in enumerate(range(0, max(total, 1), per_sheet)):
            data = wb.add_worksheet("data" if part == 0 else f"data_{part + 1}")
            data.write_row(0, 0, list(frame.columns))
            last = min(first + per_sheet, total)
            for lo in range(first, last, 50_000):
                hi = min(lo + 50_000, last)
                chunk = frame.iloc[lo:hi]
                cols = [_python_values(chunk[c]) for c in chunk.columns]
                puts = list(enumerate(_cell_writers(data, frame)))
                for r, row in enumerate(zip(*cols, strict=True), lo - first + 1):
                    for (c, put), value in zip(puts, row, strict=True):
                        if value is not None:  # missing: no cell at all
                            put(r, c, value)
                if progress:
                    progress(hi, total)
        wb.close()

"""Owner-only CSV and XLSX files plus the notice every de-identified file carries.

Files are opened with O_EXCL | O_NOFOLLOW after removing any leftover name, so a symlink
planted in a shared directory is neither followed nor written through (as ``caseload scores``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

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


def write_csv(frame: pd.DataFrame, path: Path, progress: Progress | None = None) -> None:
    total = len(frame)
    with private_file(path) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(frame.columns)
        step = 100_000
        for start in range(0, max(total, 1), step):
            chunk = frame.iloc[start : start + step]
            writer.writerows(
                ["" if v is None else v for v in map(_safe, row)]
                for row in chunk.itertuples(index=False, name=None)
            )
            if progress:
                progress(min(start + step, total), total)


def write_notice(summary: dict, path: Path) -> None:
    with private_file(path) as fh:
        fh.write(notice_text(summary))


def write_xlsx(
    frame: pd.DataFrame,
    summary: dict,
    path: Path,
    progress: Progress | None = None,
    docs: dict[str, str] | None = None,
) -> None:
    """Three sheets: the notice and statement, what each column means, the data."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    notice = wb.create_sheet("notice")
    notice.append(["42 CFR Part 2 notice"])
    notice.append([NOTICE_42_CFR_PART_2])
    notice.append([])
    for line in statement(summary):
        notice.append([line])
    meanings = docs or COLUMN_DOCS
    sheet = wb.create_sheet("columns")
    sheet.append(["column", "meaning and de-identification"])
    for name in frame.columns:
        sheet.append([name, meanings[name]])
    data = wb.create_sheet("data")
    data.append(list(frame.columns))
    total = len(frame)
    for n, row in enumerate(frame.itertuples(index=False, name=None), 1):
        data.append([_safe(v) for v in row])
        if progress and n % 50_000 == 0:
            progress(n, total)
    if progress:
        progress(total, total)
    with private_file(path, binary=True) as fh:
        wb.save(fh)

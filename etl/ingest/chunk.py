"""One chunk from text to target rows, and the pieces every load shares.

``process_rows`` validates and shapes a chunk without touching the database, so it can run
ahead in a thread; the rest are small helpers used by file loads and quarantine retries alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date

from etl.ingest import quarantine
from etl.ingest.hashing import row_hashes
from etl.ingest.kinds import Kind
from etl.ingest.lookups import Lookups
from etl.ingest.sources import Malformed
from etl.ingest.validate import stage

_PG_INGEST_LOCK = 7_311_043


@dataclass
class Processed:
    rows: pd.DataFrame  # valid rows, shaped for the kind's target, with row_hash
    rejected: pd.DataFrame  # position, line, column, value, reason, raw
    read: int
    positions: np.ndarray  # where each valid row was in the chunk


def process_rows(kind: Kind, raw: pd.DataFrame, lines: np.ndarray, lookups: Lookups) -> Processed:
    """Validate and shape one chunk of text rows; nothing is written here."""
    raw = raw.reset_index(drop=True)
    typed, problems = stage(kind, raw)
    built = kind.build(typed, lookups, problems)
    bad = problems.rejected_mask()
    rows = built[~bad].reset_index(drop=True)
    target = kind.target
    hashed = [c for c in target.columns if c not in target.derived]
    rows["row_hash"] = row_hashes(rows, [target.natural_key, *hashed, *target.satellite_columns])
    rejected = problems.by_row(kind.columns)
    if not rejected.empty:
        pos = rejected["position"].to_numpy()
        rejected["line"] = lines[pos]
        text = raw.iloc[pos].astype(object).where(raw.iloc[pos].notna(), None)
        rejected["raw"] = text.to_dict("records")
    else:
        rejected["line"] = pd.Series([], dtype="int64")
        rejected["raw"] = pd.Series([], dtype=object)
    return Processed(rows=rows, rejected=rejected, read=len(raw), positions=np.flatnonzero(~bad))


def malformed_frame(malformed: list[Malformed]) -> pd.DataFrame:
    """Quarantine rows for records that never became rows (kept whole under ``_fields``)."""
    return pd.DataFrame(
        {
            "position": [-1] * len(malformed),
            "line": [-1 if m.line is None else m.line for m in malformed],
            "json_path": [m.json_path for m in malformed],
            "column": [m.column for m in malformed],
            "value": [m.value for m in malformed],
            "reason": [m.reason for m in malformed],
            "raw": [{quarantine.MALFORMED_KEY: m.fields} for m in malformed],
        }
    )


class DateSpan:
    """The span of calendar dates a load wrote, for ``dim_date``."""

    def __init__(self) -> None:
        self.first: dt.date | None = None
        self.last: dt.date | None = None

    def add(self, kind: Kind, rows: pd.DataFrame) -> None:
        for name in kind.target.columns:
            if isinstance(kind.target.table.c[name].type, Date):
                values = pd.to_datetime(rows[name]).dropna()
                if values.empty:
                    continue
                lo, hi = values.min().date(), values.max().date()
                self.first = lo if self.first is None else min(self.first, lo)
                self.last = hi if self.last is None else max(self.last, hi)


def begin_write(conn: Connection) -> None:
    """Take the warehouse's write lock for the whole file (one ingest writes at a time)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_INGEST_LOCK,))
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def one_line(exc: BaseException) -> str:
    """An unexpected error as one line, without SQL parameters (they may hold identifiers)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    first = text[0] if text else ""
    return f"internal error: {type(orig or exc).__name__}: {first[:300]}"

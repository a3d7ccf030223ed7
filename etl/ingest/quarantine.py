"""``etl_quarantine``: every rejected row, whole, with its file, line, column and reason.

Rows are kept as the text they arrived in, so a row rejected because its client was not on the
roster yet can be loaded as it was once the roster is in (``caseload ingest --retry-quarantine``).
Re-sending a file with the same bad row does not add a second entry: the open entry stands.
An entry ends ``loaded``, or ``superseded`` when a newer version of its record loaded first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, insert, select, true, update

from etl.models import EtlQuarantine

MALFORMED_KEY = "_fields"


@dataclass
class Rejected:
    """Rejected rows of one chunk: line, first column and value, reasons, and the raw text."""

    frame: pd.DataFrame  # line, column, value, reason, raw (dict), position

    @property
    def count(self) -> int:
        return len(self.frame)


class QuarantineWriter:
    def __init__(
        self, conn: Connection, load_id: int, path: str, kind: str, now: dt.datetime
    ) -> None:
        self.conn = conn
        self.load_id = load_id
        self.path = path
        self.kind = kind
        self.now = now

    def add(self, rejected: pd.DataFrame) -> None:
        if rejected.empty:
            return
        if "json_path" not in rejected.columns:
            rejected = rejected.assign(json_path=None)
        line_of = [None if int(x) < 0 else int(x) for x in rejected["line"]]
        rejected = rejected.assign(line=pd.Series(line_of, dtype=object, index=rejected.index))
        lines = sorted({x for x in line_of if x is not None})
        already: set[tuple[int | None, str | None, str]] = set()
        for start in range(0, len(lines), 5000):
            batch = lines[start : start + 5000]
            for line, where, raw in self.conn.execute(
                select(EtlQuarantine.line, EtlQuarantine.json_path, EtlQuarantine.raw).where(
                    EtlQuarantine.kind == self.kind,
                    EtlQuarantine.status == "open",
                    EtlQuarantine.line.in_(batch),
                )
            ):
                already.add((int(line), where, _raw_key(raw)))
        unlined = {p for x, p in zip(line_of, rejected["json_path"], strict=True) if x is None}
        if unlined:
            for where, raw in self.conn.execute(
                select(EtlQuarantine.json_path, EtlQuarantine.raw).where(
                    EtlQuarantine.kind == self.kind,
                    EtlQuarantine.status == "open",
                    EtlQuarantine.line.is_(None),
                    EtlQuarantine.path == self.path,
                )
            ):
                already.add((None, where, _raw_key(raw)))
        rows = []
        order = sorted(range(len(line_of)), key=lambda i: (line_of[i] is None, line_of[i] or 0))
        for r in rejected.iloc[order].itertuples(index=False):
            where = None if _missing(r.json_path) else str(r.json_path)[:500]
            if (r.line, where, _raw_key(r.raw)) in already:
                continue
            rows.append(
                {
                    "load_id": self.load_id,
                    "path": self.path,
                    "kind": self.kind,
                    "line": r.line,
                    "json_path": where,
                    "column_name": None if _missing(r.column) else str(r.column),
                    "value": None if _missing(r.value) else str(r.value)[:1000],
                    "reason": r.reason[:500],
                    "raw": r.raw,
                    "status": "open",
                    "created_at": self.now,
                }
            )
        for start in range(0, len(rows), 5000):
            self.conn.execute(insert(EtlQuarantine), rows[start : start + 5000])


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _raw_key(raw: dict) -> str:
    return repr(sorted((str(k), "" if v is None else str(v)) for k, v in (raw or {}).items()))


def open_entries(
    conn: Connection, kind: str, after_id: int, limit: int, load_id: int | None = None
) -> pd.DataFrame:
    only_load = EtlQuarantine.load_id == load_id if load_id is not None else true()
    rows = conn.execute(
        select(
            EtlQuarantine.quarantine_id,
            EtlQuarantine.line,
            EtlQuarantine.raw,
            EtlQuarantine.reason,
            EtlQuarantine.load_id,
        )
        .where(
            EtlQuarantine.kind == kind,
            EtlQuarantine.status == "open",
            EtlQuarantine.quarantine_id > after_id,
            only_load,
        )
        .order_by(EtlQuarantine.quarantine_id)
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["quarantine_id", "line", "raw", "reason", "load_id"])


def resolve(conn: Connection, ids: list[int], now: dt.datetime, status: str = "loaded") -> None:
    for start in range(0, len(ids), 5000):
        conn.execute(
            update(EtlQuarantine)
            .where(EtlQuarantine.quarantine_id.in_(ids[start : start + 5000]))
            .values(status=status, resolved_at=now)
        )


def restate(conn: Connection, updates: list[dict]) -> None:
    """Rows still rejected on retry keep their entry, with today's reason."""
    for u in updates:
        conn.execute(
            update(EtlQuarantine)
            .where(EtlQuarantine.quarantine_id == u["quarantine_id"])
            .values(reason=u["reason"][:500], column_name=u["column"], value=u["value"])
        )

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
        lines = sorted({int(x) for x in rejected["line"]})
        already: set[tuple[int, str]] = set()
        for start in range(0, len(lines), 5000):
            batch = lines[start : start + 5000]
            for line, raw in self.conn.execute(
                select(EtlQuarantine.line, EtlQuarantine.raw).where(
                    EtlQuarantine.kind == self.kind,
                    EtlQuarantine.status == "open",
                    EtlQuarantine.line.in_(batch),
                )
            ):
                already.add((int(line), _raw_key(raw)))
        rows = []
        for r in rejected.sort_values("line", kind="stable").itertuples(index=False):
            if (int(r.line), _raw_key(r.raw)) in already:
                continue
            rows.append(
                {
                    "load_id": self.load_id,
                    "path": self.path,
                    "kind": self.kind,
                    "line": int(r.line),
                    "column_name": r.column,
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

"""``etl_load``: one row per ingested file, and ``dim_date`` for the days the data covers.

A load row is committed as ``running`` before the file's data transaction starts, so a load
killed half-way is still visible afterwards; the next ingest marks such rows ``failed``. The
final counts and ``loaded`` are written inside the data transaction, so they commit together.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar
from sqlalchemy import Connection, Engine, insert, select, update

from etl.models import DimDate, EtlLoad

INTERRUPTED = "interrupted before it finished (the ingest process stopped); nothing was loaded"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def start(engine: Engine, path: str, kind: str | None) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(EtlLoad)
                .values(path=path, kind=kind, started_at=utcnow(), status="running")
                .returning(EtlLoad.load_id)
            ).scalar_one()
        )


def finish(conn: Connection, load_id: int, *, sha256: str | None, counts: dict[str, int]) -> None:
    conn.execute(
        update(EtlLoad)
        .where(EtlLoad.load_id == load_id)
        .values(status="loaded", finished_at=utcnow(), sha256=sha256, error=None, **counts)
    )


def fail(engine: Engine, load_id: int, error: str, sha256: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(EtlLoad)
            .where(EtlLoad.load_id == load_id)
            .values(
                status="failed",
                finished_at=utcnow(),
                error=error[:2000],
                sha256=sha256,
                rows_read=0,
                rows_inserted=0,
                rows_updated=0,
                rows_unchanged=0,
                rows_rejected=0,
            )
        )


def mark_interrupted(engine: Engine) -> int:
    """Loads left ``running`` by a killed process: their data rolled back, say so."""
    with engine.begin() as conn:
        result = conn.execute(
            update(EtlLoad)
            .where(EtlLoad.status == "running")
            .values(status="failed", finished_at=utcnow(), error=INTERRUPTED)
        )
        return int(result.rowcount or 0)


def ensure_dates(conn: Connection, first: dt.date | None, last: dt.date | None) -> int:
    """Add the calendar days from ``first`` to ``last`` that ``dim_date`` lacks."""
    if first is None or last is None:
        return 0
    have = set(
        conn.execute(select(DimDate.date).where(DimDate.date.between(first, last))).scalars()
    )
    days = pd.date_range(first, last, freq="D")
    holidays = set(USFederalHolidayCalendar().holidays(first, last).date)
    rows = []
    for day in days:
        d = day.date()
        if d in have:
            continue
        iso = d.isocalendar()
        rows.append(
            {
                "date_key": d.year * 10000 + d.month * 100 + d.day,
                "date": d,
                "year": d.year,
                "month": d.month,
                "day": d.day,
                "iso_week": iso.week,
                "day_of_week": d.weekday(),
                "is_weekend": d.weekday() >= 5,
                "is_holiday": d in holidays,
            }
        )
    if rows:
        conn.execute(insert(DimDate), rows)
    return len(rows)

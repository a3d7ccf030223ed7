"""Frames to database values, by the target column's SQL type.

The same typed frame is written three ways: as Arrow columns (CSV for PostgreSQL's COPY), as
plain Python values (SQLite's executemany, where dates and times are text in SQLAlchemy's own
format so that ORM reads and string comparisons agree), and as Python objects for history.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Table

_SQLITE_DATETIME = pa.string()


def arrow_column(series: pd.Series, column: Column) -> pa.Array:
    kind = column.type
    if isinstance(kind, DateTime):
        return pa.array(series.astype("datetime64[us]"), type=pa.timestamp("us"), from_pandas=True)
    if isinstance(kind, Date):
        stamps = pa.array(
            series.astype("datetime64[us]"), type=pa.timestamp("us"), from_pandas=True
        )
        return stamps.cast(pa.date32())
    if isinstance(kind, Boolean):
        return pa.array(series.astype("boolean"), type=pa.bool_(), from_pandas=True)
    if isinstance(kind, Integer):
        return pa.array(series.astype("Int64"), type=pa.int64(), from_pandas=True)
    if isinstance(kind, Float):
        return pa.array(series.astype("Float64"), type=pa.float64(), from_pandas=True)
    return pa.array(series.astype("str"), type=pa.large_string(), from_pandas=True)


def arrow_table(frame: pd.DataFrame, table: Table) -> pa.Table:
    names = list(frame.columns)
    return pa.table([arrow_column(frame[n], table.c[n]) for n in names], names=names)


def sqlite_columns(frame: pd.DataFrame, table: Table) -> list[list]:
    """Column-wise Python values for sqlite3: timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff', and
    booleans as 0/1 (sqlite3 binds exact ints directly but looks up an adapter for each bool,
    which costs more than the insert itself on wide tables)."""
    out = []
    for name in frame.columns:
        arr = arrow_column(frame[name], table.c[name])
        if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
            arr = arr.cast(_SQLITE_DATETIME)
        elif pa.types.is_boolean(arr.type):
            arr = arr.cast(pa.int8())
        out.append(arr.to_pylist())
    return out


def python_rows(frame: pd.DataFrame, table: Table) -> list[dict]:
    """Row dicts of Python objects (datetime, date, bool, int), for Core statements."""
    columns = {n: arrow_column(frame[n], table.c[n]).to_pylist() for n in frame.columns}
    rows = zip(*columns.values(), strict=True)
    return [dict(zip(columns, values, strict=True)) for values in rows]

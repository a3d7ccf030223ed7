"""Turning SQLAlchemy results into DataFrames without pandas' SQL layer (faster, and the
same on SQLite and PostgreSQL), or into plain dicts where a page works row by row on a few
hundred rows (building and reading back a frame would cost more than the work)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Executable


def frame(conn: Connection, stmt: Executable) -> pd.DataFrame:
    result = conn.execute(stmt)
    # Plain tuples: handing SQLAlchemy Row objects to pandas makes it probe each row's
    # attributes, which costs more than the query on a 150-client caseload.
    rows = [tuple(row) for row in result.fetchall()]
    return pd.DataFrame(rows, columns=list(result.keys()))


def records(conn: Connection, stmt: Executable) -> list[dict]:
    """The rows as dicts keyed by column name."""
    result = conn.execute(stmt)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.fetchall()]


def frame_rows(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    """``df.to_dict("records")`` for the named columns, a column at a time: pandas boxes each
    cell of ``to_dict`` on its own, which on a caseload's rows costs more than the page."""
    values = [df[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]

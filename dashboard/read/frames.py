"""Turning SQLAlchemy results into DataFrames without pandas' SQL layer (faster, and the
same on SQLite and PostgreSQL)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Executable


def frame(conn: Connection, stmt: Executable) -> pd.DataFrame:
    result = conn.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

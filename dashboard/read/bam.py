"""Reads of one client's Brief Addiction Monitor forms, re-checked against the scope.

Kept apart from ``dashboard.read.client`` so the BAM panel needs no change to the client
record's other reads; the same rule holds: the key is joined to ``dim_client`` under the
caller's filter, so a key forged in a callback payload finds nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, and_, select

from dashboard.read.frames import frame
from dashboard.read.scope import Scope, client_filter
from etl.models import DimClient, FctBam


def client_bam(
    conn: Connection, scope: Scope, client_key: int, start: dt.date | None
) -> pd.DataFrame:
    """Scored forms from ``start`` (None: all), oldest first: date, recall period, the three
    scale scores and their flags. The answers themselves stay in the warehouse."""
    stmt = (
        select(
            FctBam.local_date.label("date"),
            FctBam.recall_days,
            FctBam.use_score,
            FctBam.risk_score,
            FctBam.protective_score,
            FctBam.is_use_flagged,
            FctBam.is_risk_flagged,
            FctBam.is_protective_flagged,
        )
        .join(DimClient, DimClient.client_key == FctBam.client_key)
        .where(and_(client_filter(scope), DimClient.client_key == client_key))
        .order_by(FctBam.local_date, FctBam.completed_at)
    )
    if start is not None:
        stmt = stmt.where(FctBam.local_date >= start)
    return frame(conn, stmt)

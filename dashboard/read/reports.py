"""Which programs a caller may export de-identified data of: the Reports page's one rule.

``EXPORT_ANONYMIZED`` alone (a supervisor, an analyst): the caller's own program;
with ``EXPORT_ALL_PROGRAMS`` (an admin): any. Anyone else: none. Unknown and refused look
the same (``None``); callers audit the refusal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Connection, false, func, select

from dashboard.auth.permissions import EXPORT_ALL_PROGRAMS, EXPORT_ANONYMIZED
from dashboard.read.frames import frame
from dashboard.read.scope import Scope
from etl.models import DimClient, DimProgram, FctClientDay


def _program_filter(scope: Scope):
    if EXPORT_ANONYMIZED not in scope.permissions:
        return false()
    if EXPORT_ALL_PROGRAMS in scope.permissions:
        return DimProgram.program_key.is_not(None)
    if scope.program_key is None:
        return false()
    return DimProgram.program_key == scope.program_key


def programs(conn: Connection, scope: Scope) -> pd.DataFrame:
    """program_key, program_id, name of the programs the caller may export, by name."""
    stmt = (
        select(DimProgram.program_key, DimProgram.program_id, DimProgram.name)
        .where(_program_filter(scope))
        .order_by(DimProgram.name)
    )
    return frame(conn, stmt)


def data_range(conn: Connection, program_key: int) -> tuple[dt.date, dt.date] | None:
    """First and last client-day held for the program (call with a resolved key), else None."""
    first, last = conn.execute(
        select(func.min(FctClientDay.date), func.max(FctClientDay.date))
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(DimClient.program_key == program_key)
    ).one()
    if first is None:
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def resolve_program(conn: Connection, scope: Scope, program_id: Any) -> int | None:
    """The key of a program id the caller may export, else ``None``."""
    if not isinstance(program_id, str) or len(program_id) > 64:
        return None
    key = conn.execute(
        select(DimProgram.program_key).where(
            DimProgram.program_id == program_id, _program_filter(scope)
        )
    ).scalar()
    return None if key is None else int(key)

"""Reads shared by the caseload pages (Missed, Sleep & stress): one counselor's active
clients on the latest scored day, their client-days over a window, and the daily sums of the
trends (from the Outcomes mart).

Like the Today reads, each query starts from the caseload (``dim_client`` by counselor, inside
the caller's scope) and reaches ``fct_client_day`` by its (client, date) key, so its cost is
the caseload's size times the window, never the warehouse's history.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select

from dashboard.read.frames import frame
from dashboard.read.scope import Scope, client_filter, mart_filter
from dashboard.read.today import _caseload, _last_checkin
from etl.marts import SIGNAL_SUMS
from etl.models import DimClient, DimStaff, FctClientDay, FctRiskScore, MartOutcomesDay, PiiClient


def clients(
    conn: Connection,
    scope: Scope,
    counselor_key: int,
    as_of: dt.date,
    *,
    last_checkin: bool = False,
) -> pd.DataFrame:
    """One row per active client: identity, schedule, the day's risk and check-in facts; with
    ``last_checkin``, also the last day with a check-in (an index probe per client, so only
    for a page that shows it)."""
    extra = [_last_checkin(as_of).label("last_checkin")] if last_checkin else []
    stmt = (
        select(
            DimClient.client_key,
            DimClient.client_id,
            PiiClient.first_name,
            PiiClient.last_name,
            DimClient.checkin_schedule,
            FctRiskScore.score,
            FctRiskScore.tier,
            FctRiskScore.reasons,
            FctRiskScore.computed_at,
            FctClientDay.is_received,
            FctClientDay.missed_streak,
            FctClientDay.adherence_7d,
            FctClientDay.adherence_28d,
            *extra,
        )
        .join(PiiClient, PiiClient.client_key == DimClient.client_key)
        .outerjoin(
            FctRiskScore,
            and_(FctRiskScore.client_key == DimClient.client_key, FctRiskScore.date == as_of),
        )
        .outerjoin(
            FctClientDay,
            and_(FctClientDay.client_key == DimClient.client_key, FctClientDay.date == as_of),
        )
        .where(_caseload(scope, counselor_key, as_of))
    )
    return frame(conn, stmt)


DAY_COLUMNS = {
    "checkins": (
        FctClientDay.is_expected,
        FctClientDay.is_received,
        FctClientDay.is_missed,
        FctClientDay.days_since_checkin,
    ),
    "signals": (
        FctClientDay.sleep_hours,
        FctClientDay.sleep_quality,
        FctClientDay.stress,
        FctClientDay.stress_baseline,
        FctClientDay.stress_sd,
    ),
}


def days(
    conn: Connection,
    scope: Scope,
    counselor_key: int,
    as_of: dt.date,
    client_keys: list[int],
    first: dt.date,
    kind: str,
) -> pd.DataFrame:
    """The caseload's client-days from ``first`` to ``as_of``: check-in facts or signals.
    ``client_keys`` (the caseload just read) lets both databases walk the primary key."""
    columns = DAY_COLUMNS[kind]
    if not client_keys:
        return pd.DataFrame(columns=["client_key", "date", *(c.key for c in columns)])
    stmt = (
        select(FctClientDay.client_key, FctClientDay.date, *columns)
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(
            _caseload(scope, counselor_key, as_of),
            FctClientDay.client_key.in_([int(k) for k in client_keys]),
            FctClientDay.date >= first,
            FctClientDay.date <= as_of,
        )
    )
    return frame(conn, stmt)


def _mart_days(
    conn: Connection,
    scope: Scope,
    first: dt.date,
    as_of: dt.date,
    counselor_key: int | None,
    sums: dict,
) -> pd.DataFrame:
    """``sums`` of ``mart_outcomes_day`` per day and counselor from ``first`` to ``as_of``,
    for one counselor or, with ``None``, every counselor of the caller's program (a
    supervisor's trend lines; nobody else gets rows).

    The risk refresh keeps the mart per program, counselor (the client's current one) and day,
    so twelve weeks of a caseload are a few dozen rows, not every client-day; the Outcomes page
    reads the same rows, so a counselor's adherence is one figure on both pages."""
    m = MartOutcomesDay
    if counselor_key is None and not scope.sees_program:
        return pd.DataFrame(columns=["date", "counselor_key", *sums])
    who = (
        m.program_key == scope.program_key
        if counselor_key is None
        else and_(
            m.counselor_key == counselor_key,
            # the program's (program, date) index, not a scan of every program's rows
            m.program_key
            == select(DimStaff.program_key)
            .where(DimStaff.staff_key == counselor_key)
            .scalar_subquery(),
        )
    )
    stmt = (
        select(m.date, m.counselor_key, *(func.sum(v).label(k) for k, v in sums.items()))
        .where(mart_filter(scope, m), who, m.date >= first, m.date <= as_of)
        .group_by(m.date, m.counselor_key)
    )
    return frame(conn, stmt)


def adherence_by_day(
    conn: Connection,
    scope: Scope,
    first: dt.date,
    as_of: dt.date,
    counselor_key: int | None = None,
) -> pd.DataFrame:
    """Per day and counselor: check-ins met and missed (the engine's settled days, so pending
    days count for neither); see ``_mart_days`` for whose."""
    m = MartOutcomesDay
    out = _mart_days(
        conn, scope, first, as_of, counselor_key, {"met": m.met, "missed": m.expected - m.met}
    )
    return out.astype({"met": int, "missed": int})


def signals_by_day(
    conn: Connection,
    scope: Scope,
    first: dt.date,
    as_of: dt.date,
    counselor_key: int | None = None,
) -> pd.DataFrame:
    """Per day and counselor: answered sleep hours and stress, summed and counted (a week's
    mean is its sum over its count); see ``_mart_days`` for whose."""
    m = MartOutcomesDay
    sums = {n: getattr(m, n) for n in SIGNAL_SUMS}
    return _mart_days(conn, scope, first, as_of, counselor_key, sums)


def program_client_means(
    conn: Connection, scope: Scope, first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Per active client of the caller's program: mean sleep hours and stress answered from
    ``first`` to ``as_of`` (a supervisor's distributions cover the program, not one caseload).
    No rows without program scope."""
    if not scope.sees_program:
        return pd.DataFrame(columns=["client_key", "mean_sleep", "mean_stress"])
    active = or_(DimClient.discharge_date.is_(None), DimClient.discharge_date > as_of)
    stmt = (
        select(
            FctClientDay.client_key,
            func.avg(FctClientDay.sleep_hours).label("mean_sleep"),
            func.avg(FctClientDay.stress).label("mean_stress"),
        )
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(client_filter(scope), active, FctClientDay.date >= first, FctClientDay.date <= as_of)
        .group_by(FctClientDay.client_key)
    )
    return frame(conn, stmt)

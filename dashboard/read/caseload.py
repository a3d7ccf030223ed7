"""Reads shared by the caseload pages (Missed, Sleep & stress): one counselor's active
clients on the latest scored day, their client-days over a window, and a program's daily
aggregates for a supervisor's trends.

Like the Today reads, each query starts from the caseload (``dim_client`` by counselor, inside
the caller's scope) and reaches ``fct_client_day`` by its (client, date) key, so its cost is
the caseload's size times the window, never the warehouse's history.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, and_, case, func, or_, select

from dashboard.read.frames import frame
from dashboard.read.scope import Scope, client_filter
from dashboard.read.today import _caseload
from etl.models import DimClient, FctClientDay, FctRiskScore, PiiClient


def clients(conn: Connection, scope: Scope, counselor_key: int, as_of: dt.date) -> pd.DataFrame:
    """One row per active client: identity, schedule, the day's risk and check-in facts."""
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
        FctClientDay.sleep_hours_baseline,
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


def _met():
    """The engine's 'met' in SQL: a received check-in, or for a weekly schedule one within
    the week (``days_since_checkin`` <= 6). Expected and neither met nor missed is pending."""
    window = case((DimClient.checkin_schedule == "weekly", 6), else_=0)
    return and_(
        FctClientDay.is_expected.is_(True),
        FctClientDay.is_missed.is_(False),
        FctClientDay.days_since_checkin <= window,
    )


def program_adherence(
    conn: Connection, scope: Scope, first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Per day and counselor of the caller's program: check-ins met and missed (pending days
    count for neither). Only for a scope that sees its program; anyone else gets no rows."""
    if not scope.sees_program:
        return pd.DataFrame(columns=["date", "counselor_key", "met", "missed"])
    one = 1
    stmt = (
        select(
            FctClientDay.date,
            DimClient.counselor_key,
            func.sum(case((_met(), one), else_=0)).label("met"),
            func.sum(case((FctClientDay.is_missed.is_(True), one), else_=0)).label("missed"),
        )
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(
            client_filter(scope),
            FctClientDay.date >= first,
            FctClientDay.date <= as_of,
            or_(FctClientDay.is_expected.is_(True), FctClientDay.is_missed.is_(True)),
        )
        .group_by(FctClientDay.date, DimClient.counselor_key)
    )
    return frame(conn, stmt)


def program_signal_days(
    conn: Connection, scope: Scope, first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Per day of the caller's program: mean sleep hours and stress of the answers, and how
    many answered (for a supervisor's trend). No rows without program scope."""
    if not scope.sees_program:
        return pd.DataFrame(columns=["date", "sleep_hours", "stress", "answers"])
    stmt = (
        select(
            FctClientDay.date,
            func.avg(FctClientDay.sleep_hours).label("sleep_hours"),
            func.avg(FctClientDay.stress).label("stress"),
            func.count(FctClientDay.stress).label("answers"),
        )
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(client_filter(scope), FctClientDay.date >= first, FctClientDay.date <= as_of)
        .group_by(FctClientDay.date)
    )
    return frame(conn, stmt)


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

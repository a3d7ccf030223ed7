"""Reads for the Today page: one counselor's active caseload on the latest scored day.

Several small queries instead of one wide one: each starts from the caseload (``dim_client``
by counselor) and reaches the day facts through their (client, date) primary keys, so the
page costs the same on a year of history for tens of thousands of clients as on a small demo,
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from dashboard.read.frames import frame, records
from dashboard.read.names import UserStaff, user_name
from dashboard.read.scope import Scope, client_filter, staff_filter
from etl.models import (
    AppFollowup,
    AppSnooze,
    AppUser,
    DimClient,
    DimProgram,
    DimStaff,
    FctClientDay,
    FctRiskScore,
    PiiClient,
)

SPARK_DAYS = 14
# Aliases made once: an alias adapts each mapped column on first use, which costs more than
# the query it serves when a new alias is made on every request.
LAST_DAY = aliased(FctClientDay, name="last_day")  # the caseload's own read joins it too
YESTERDAY = aliased(FctClientDay, name="yesterday_day")


def _caseload(scope: Scope, counselor_key: int, on: dt.date):
    """Active clients of one counselor on a day, within the caller's scope."""
    return and_(
        client_filter(scope),
        DimClient.counselor_key == counselor_key,
        DimClient.admission_date <= on,
        or_(DimClient.discharge_date.is_(None), DimClient.discharge_date >= on),
    )


def counselors(conn: Connection, scope: Scope) -> pd.DataFrame:
    """The counselors whose caseloads this scope may open (a supervisor's picker)."""
    stmt = (
        select(DimStaff.staff_key, DimStaff.staff_id, DimStaff.first_name, DimStaff.last_name)
        .where(staff_filter(scope), DimStaff.role == "counselor")
        .order_by(DimStaff.last_name, DimStaff.first_name)
    )
    return frame(conn, stmt)


def counselor_keys(conn: Connection, scope: Scope) -> set[int]:
    """The staff keys of ``counselors`` alone: what a callback checks a browser's key against."""
    stmt = select(DimStaff.staff_key).where(staff_filter(scope), DimStaff.role == "counselor")
    return {int(k) for k in conn.execute(stmt).scalars()}


def default_counselor(conn: Connection, scope: Scope) -> int | None:
    """The caller's own caseload, or a supervisor's first counselor."""
    if scope.staff_key is not None:
        own = conn.execute(
            select(DimStaff.staff_key).where(
                staff_filter(scope),
                DimStaff.staff_key == scope.staff_key,
                DimStaff.role == "counselor",
            )
        ).scalar()
        if own is not None:
            return own
    staff = counselors(conn, scope)
    return None if staff.empty else int(staff["staff_key"].iloc[0])


def caseload_as_of(
    conn: Connection, scope: Scope, counselor_key: int, today: dt.date
) -> dt.date | None:
    """The latest day with risk scores for this caseload, not after ``today``.

    One backward index probe per client (a correlated ``max``) rather than an aggregate over
    every stored day, so the cost does not grow with the length of the history.
    """
    latest = (
        select(func.max(FctRiskScore.date))
        .where(FctRiskScore.client_key == DimClient.client_key, FctRiskScore.date <= today)
        .scalar_subquery()
    )
    return conn.execute(
        select(func.max(latest)).where(
            client_filter(scope), DimClient.counselor_key == counselor_key
        )
    ).scalar()


def _last_checkin(as_of: dt.date):
    """Each client's last day with a check-in: the newest received day found by walking the
    client's (client, date) index backwards -- a handful of rows, however long the history."""
    day = LAST_DAY
    return (
        select(day.date)
        .where(
            day.client_key == DimClient.client_key,
            day.date <= as_of,
            day.is_received.is_(True),
        )
        .order_by(day.date.desc())
        .limit(1)
        .correlate(DimClient)
        .scalar_subquery()
    )


def caseload_rows(
    conn: Connection, scope: Scope, counselor_key: int, as_of: dt.date, yesterday: dt.date
) -> list[dict]:
    """One row per active client: identity, the day's risk and check-in facts, the last
    check-in, and ``yesterday_is_missed`` for a client with a client-day ``yesterday``
    (``yesterday_date`` set; a check-in expected that day and never received is missed once
    the day is over). One statement: each part is an index probe per client."""
    before = YESTERDAY
    stmt = (
        select(
            DimClient.client_key,
            DimClient.client_id,
            PiiClient.first_name,
            PiiClient.last_name,
            DimClient.admission_date,
            FctRiskScore.score,
            FctRiskScore.tier,
            FctRiskScore.score_change,
            FctRiskScore.is_newly_high,
            FctRiskScore.reasons,
            FctRiskScore.computed_at,
            FctClientDay.is_expected,
            FctClientDay.is_received,
            FctClientDay.missed_streak,
            _last_checkin(as_of).label("last_checkin"),
            before.date.label("yesterday_date"),
            before.is_missed.label("yesterday_is_missed"),
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
        .outerjoin(
            before, and_(before.client_key == DimClient.client_key, before.date == yesterday)
        )
        .where(_caseload(scope, counselor_key, as_of))
    )
    return records(conn, stmt)


def yesterday_missed(rows: list[dict]) -> dict[int, bool]:
    """``caseload_rows``' clients with a client-day yesterday: whether its check-in was
    settled as missed."""
    return {
        int(r["client_key"]): bool(r["yesterday_is_missed"])
        for r in rows
        if r["yesterday_date"] is not None
    }


def counselor_program(conn: Connection, scope: Scope, counselor_key: int) -> dict | None:
    """The program of a caseload: its id (for the risk settings) and its time zone."""
    row = (
        conn.execute(
            select(DimProgram.program_id, DimProgram.time_zone)
            .join(DimStaff, DimStaff.program_key == DimProgram.program_key)
            .where(staff_filter(scope), DimStaff.staff_key == counselor_key)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def score_history(
    conn: Connection,
    scope: Scope,
    counselor_key: int,
    as_of: dt.date,
    client_keys: list[int],
    days: int = SPARK_DAYS,
) -> list[dict]:
    """Scores over the last ``days`` days, for the sparklines.

    ``client_keys`` (the caseload just read) lets both databases walk the (client, date)
    primary key for each client instead of every client's rows for those days; the scope is
    still applied, so a key outside it finds nothing.
    """
    if not client_keys:
        return []
    stmt = (
        select(FctRiskScore.client_key, FctRiskScore.date, FctRiskScore.score)
        .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
        .where(
            _caseload(scope, counselor_key, as_of),
            FctRiskScore.client_key.in_([int(k) for k in client_keys]),
            FctRiskScore.date > as_of - dt.timedelta(days=days),
            FctRiskScore.date <= as_of,
        )
    )
    return records(conn, stmt)


def recent_followups(
    conn: Connection, scope: Scope, counselor_key: int, as_of: dt.date, days: int = 30
) -> list[dict]:
    """Contacts of the last month (latest last), with the risk day each one answered."""
    since = dt.datetime.combine(as_of - dt.timedelta(days=days), dt.time())
    stmt = (
        select(
            AppFollowup.client_key,
            AppFollowup.followup_id,
            AppFollowup.contacted_at,
            AppFollowup.method,
            AppFollowup.outcome,
            AppFollowup.risk_date,
            AppUser.username,
        )
        .join(DimClient, DimClient.client_key == AppFollowup.client_key)
        .join(AppUser, AppUser.user_id == AppFollowup.user_id)
        .where(_caseload(scope, counselor_key, as_of), AppFollowup.contacted_at >= since)
        .order_by(AppFollowup.contacted_at, AppFollowup.followup_id)
    )
    return records(conn, stmt)


def active_snoozes(
    conn: Connection, scope: Scope, counselor_key: int, as_of: dt.date, today: dt.date
) -> list[dict]:
    """Snoozes still running today and not lifted (latest per client last), with who made
    them, by name."""
    stmt = (
        select(
            AppSnooze.client_key,
            AppSnooze.until_date,
            AppSnooze.reason,
            AppSnooze.snooze_id,
            user_name().label("snoozed_by"),
        )
        .join(DimClient, DimClient.client_key == AppSnooze.client_key)
        .join(AppUser, AppUser.user_id == AppSnooze.user_id)
        .outerjoin(UserStaff, UserStaff.staff_key == AppUser.staff_key)
        .where(
            _caseload(scope, counselor_key, as_of),
            AppSnooze.until_date >= today,
            AppSnooze.lifted_at.is_(None),
        )
        .order_by(AppSnooze.snooze_id)
    )
    return records(conn, stmt)

"""Reads for one client's record. Each function re-checks the client against the scope.

``resolve_client`` turns the opaque id from the URL into a key only when the caller may read
that client; the other functions take the key and still join ``dim_client`` with the scope's
filter, so a key forged in a callback payload finds nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from dashboard.read.frames import frame
from dashboard.read.names import UserStaff, user_name
from dashboard.read.scope import Scope, client_filter
from etl.models import (
    AppFollowup,
    AppUser,
    DimClient,
    DimProgram,
    DimStaff,
    FctCheckin,
    FctClientDay,
    FctDrugScreen,
    FctRiskScore,
    PiiClient,
)
from etl.vocabulary import SIGNALS, TRIGGERS


def _plausible_id(client_id: object) -> bool:
    """A string that could be a stored id; anything else (a NUL byte PostgreSQL refuses to
    bind, a list, a megabyte) is not looked up at all."""
    return isinstance(client_id, str) and 0 < len(client_id) <= 64 and "\x00" not in client_id


def resolve_client(conn: Connection, scope: Scope, client_id: str) -> int | None:
    """The client's key if this scope may read it, else None (absent and forbidden look alike)."""
    if not _plausible_id(client_id):
        return None
    return conn.execute(
        select(DimClient.client_key).where(client_filter(scope), DimClient.client_id == client_id)
    ).scalar()


def client_key_for_audit(conn: Connection, client_id: str) -> int | None:
    """Unscoped id lookup, used only to name the target of a refused request in the audit log."""
    if not _plausible_id(client_id):
        return None
    return conn.execute(
        select(DimClient.client_key).where(DimClient.client_id == client_id)
    ).scalar()


COUNSELOR = aliased(DimStaff, name="counselor")  # made once: see ``read.today.LAST_DAY``


def client_header(conn: Connection, scope: Scope, client_key: int) -> dict | None:
    counselor = COUNSELOR
    row = (
        conn.execute(
            select(
                DimClient.client_key,
                DimClient.client_id,
                PiiClient.first_name,
                PiiClient.last_name,
                DimProgram.program_id,
                DimProgram.name.label("program_name"),
                DimProgram.time_zone,
                counselor.first_name.label("counselor_first_name"),
                counselor.last_name.label("counselor_last_name"),
                DimClient.admission_date,
                DimClient.discharge_date,
                DimClient.primary_substance,
                DimClient.checkin_schedule,
            )
            .join(PiiClient, PiiClient.client_key == DimClient.client_key)
            .join(DimProgram, DimProgram.program_key == DimClient.program_key)
            .outerjoin(counselor, counselor.staff_key == DimClient.counselor_key)
            .where(client_filter(scope), DimClient.client_key == client_key)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    header = dict(row)
    header["last_screen"] = last_screen(conn, scope, client_key)
    return header


def last_screen(conn: Connection, scope: Scope, client_key: int) -> list[dict] | None:
    """Every substance of the client's last screen (one row each, collected together)."""
    scoped = and_(client_filter(scope), FctDrugScreen.client_key == client_key)
    latest = (
        select(func.max(FctDrugScreen.collected_at))
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .where(scoped)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(FctDrugScreen.local_date, FctDrugScreen.substance, FctDrugScreen.result)
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .where(scoped, FctDrugScreen.collected_at == latest)
        .order_by(FctDrugScreen.substance)
    ).mappings()
    return [dict(r) for r in rows] or None


def _scoped(client_key: int, scope: Scope):
    return and_(client_filter(scope), DimClient.client_key == client_key)


def day_span(
    conn: Connection, scope: Scope, client_key: int
) -> tuple[dt.date | None, dt.date | None]:
    """First and last day of the client's record (client-day facts)."""
    first, last = conn.execute(
        select(func.min(FctClientDay.date), func.max(FctClientDay.date))
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(_scoped(client_key, scope))
    ).one()
    return first, last


def client_days(
    conn: Connection, scope: Scope, client_key: int, start: dt.date | None
) -> pd.DataFrame:
    """Day facts from ``start`` (None: the whole enrolment), with each signal's personal
    baseline and SD as the risk engine stored them for that day (``<signal>_baseline``,
    ``<signal>_sd``): the same numbers behind "2.1 SD above own baseline"."""
    stmt = (
        select(
            FctClientDay.date,
            FctClientDay.is_expected,
            FctClientDay.is_received,
            FctClientDay.is_missed,
            FctClientDay.days_since_checkin,
            *(getattr(FctClientDay, s) for s in SIGNALS),
            *(getattr(FctClientDay, f"{s}_baseline") for s in SIGNALS),
            *(getattr(FctClientDay, f"{s}_sd") for s in SIGNALS),
            FctClientDay.used_reported,
            FctClientDay.screen_positive,
            FctClientDay.trigger_count,
            FctClientDay.support_contact,
            FctClientDay.missed_streak,
        )
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(_scoped(client_key, scope))
        .order_by(FctClientDay.date)
    )
    if start is not None:
        stmt = stmt.where(FctClientDay.date >= start)
    return frame(conn, stmt)


def client_risk(
    conn: Connection, scope: Scope, client_key: int, start: dt.date | None
) -> pd.DataFrame:
    stmt = (
        select(
            FctRiskScore.date,
            FctRiskScore.score,
            FctRiskScore.tier,
            FctRiskScore.reasons,
            FctRiskScore.config_hash,
            FctRiskScore.computed_at,
        )
        .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
        .where(_scoped(client_key, scope))
        .order_by(FctRiskScore.date)
    )
    if start is not None:
        stmt = stmt.where(FctRiskScore.date >= start)
    return frame(conn, stmt)


def client_triggers(
    conn: Connection, scope: Scope, client_key: int, start: dt.date | None
) -> pd.DataFrame:
    cols = [getattr(FctCheckin, f"trigger_{t}").label(t) for t in TRIGGERS]
    stmt = (
        select(FctCheckin.local_date.label("date"), *cols)
        .join(DimClient, DimClient.client_key == FctCheckin.client_key)
        .where(_scoped(client_key, scope))
        .order_by(FctCheckin.local_date)
    )
    if start is not None:
        stmt = stmt.where(FctCheckin.local_date >= start)
    return frame(conn, stmt)


def client_screens(
    conn: Connection, scope: Scope, client_key: int, start: dt.date | None
) -> pd.DataFrame:
    stmt = (
        select(
            FctDrugScreen.local_date.label("date"), FctDrugScreen.substance, FctDrugScreen.result
        )
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .where(_scoped(client_key, scope))
        .order_by(FctDrugScreen.local_date)
    )
    if start is not None:
        stmt = stmt.where(FctDrugScreen.local_date >= start)
    return frame(conn, stmt)


def client_followups(
    conn: Connection, scope: Scope, client_key: int, limit: int = 200
) -> pd.DataFrame:
    """The contact history with notes (PHI: shown only on the record itself)."""
    stmt = (
        select(
            AppFollowup.followup_id,
            AppFollowup.contacted_at,
            AppFollowup.method,
            AppFollowup.outcome,
            AppFollowup.note,
            AppFollowup.risk_date,
            AppFollowup.risk_tier,
            AppFollowup.risk_score,
            AppUser.username,
            user_name().label("by_name"),
        )
        .join(DimClient, DimClient.client_key == AppFollowup.client_key)
        .join(AppUser, AppUser.user_id == AppFollowup.user_id)
        .outerjoin(UserStaff, UserStaff.staff_key == AppUser.staff_key)
        .where(_scoped(client_key, scope))
        .order_by(AppFollowup.contacted_at.desc(), AppFollowup.followup_id.desc())
        .limit(limit)
    )
    return frame(conn, stmt)


def current_flag(conn: Connection, scope: Scope, client_key: int, today: dt.date) -> dict | None:
    """The latest score on or before today (the flag a contact answers): date, score, tier,
    reasons; None when the client has none or is outside the scope."""
    row = (
        conn.execute(
            select(FctRiskScore.date, FctRiskScore.score, FctRiskScore.tier, FctRiskScore.reasons)
            .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
            .where(
                client_filter(scope),
                FctRiskScore.client_key == client_key,
                FctRiskScore.date <= today,
            )
            .order_by(FctRiskScore.date.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None

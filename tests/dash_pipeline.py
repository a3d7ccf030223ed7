"""A warehouse filled the way a program fills it: ``caseload synth`` writes the files,
ingest loads them, the risk engine scores them, ``caseload users demo`` adds the logins.

Scored on the morning of the export (09:30 in New York), so today is in progress: its expected
check-ins not yet in are pending, as after a real morning load. The queries below restate
from the warehouse what the Today page should show, so tests compare the page with SQL rather
than with the code that drew it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, case, func, or_, select

from dashboard.users import DEMO_LOGINS, ensure_demo_logins
from etl.ingest import ingest_paths
from etl.models import AppUser, DimClient, DimProgram, FctClientDay, FctRiskScore
from etl.risk import refresh
from etl.synth import SynthConfig, generate

TODAY = dt.date(2026, 11, 27)
SCORED_AT = dt.datetime(2026, 11, 27, 14, 30, tzinfo=dt.UTC)  # 09:30 in New York
PASSWORDS = {username: password for username, _, password in DEMO_LOGINS}
TIER_RANK = case(
    (FctRiskScore.tier == "critical", 3),
    (FctRiskScore.tier == "high", 2),
    (FctRiskScore.tier == "moderate", 1),
    else_=0,
)


@dataclass
class PipelineWorld:
    engine: Engine
    today: dt.date
    counselor_key: int  # the demo counselor's caseload
    program_id: str  # and its program


def seed_pipeline(
    engine: Engine, folder: Path, *, clients: int = 60, days: int = 45, seed: int = 11
) -> PipelineWorld:
    """Synth -> ingest -> risk refresh -> demo logins, on an empty migrated warehouse."""
    generate(SynthConfig(out=folder, clients=clients, days=days, seed=seed, as_of=TODAY))
    report = ingest_paths(engine, sorted(folder.glob("*.csv")))
    assert report.ok and all(f.rejected == 0 for f in report.files)
    refresh(engine, report.changes, now=SCORED_AT)
    with engine.begin() as conn:
        ensure_demo_logins(conn)
    with engine.connect() as conn:
        counselor_key, program_id = conn.execute(
            select(AppUser.staff_key, DimProgram.program_id)
            .join(DimProgram, DimProgram.program_key == AppUser.program_key)
            .where(AppUser.username == "demo.counselor")
        ).one()
    return PipelineWorld(
        engine=engine, today=TODAY, counselor_key=counselor_key, program_id=program_id
    )


def _active(counselor_key: int, on: dt.date):
    return (
        DimClient.counselor_key == counselor_key,
        DimClient.admission_date <= on,
        or_(DimClient.discharge_date.is_(None), DimClient.discharge_date >= on),
    )


def count_scores(engine: Engine, counselor_key: int, on: dt.date, *conditions) -> int:
    """Active clients of the caseload whose score row on ``on`` meets ``conditions``."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(FctRiskScore)
            .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
            .where(*_active(counselor_key, on), FctRiskScore.date == on, *conditions)
        ).scalar_one()


def count_days(engine: Engine, counselor_key: int, active_on: dt.date, day: dt.date, *conditions):
    """Clients active on ``active_on`` whose client-day row of ``day`` meets ``conditions``."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(FctClientDay)
            .join(DimClient, DimClient.client_key == FctClientDay.client_key)
            .where(*_active(counselor_key, active_on), FctClientDay.date == day, *conditions)
        ).scalar_one()


def top_priority(engine: Engine, counselor_key: int, on: dt.date) -> set[str]:
    """The client ids that rank first on Today by the documented order (newly high, tier,
    rising, score, missed streak), nobody snoozed; several when they tie on every key."""
    key = (
        case((FctRiskScore.is_newly_high.is_(True), 1), else_=0).label("newly"),
        TIER_RANK.label("tier"),
        case((func.coalesce(FctRiskScore.score_change, 0) > 0, 1), else_=0).label("rising"),
        FctRiskScore.score,
        FctClientDay.missed_streak,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(DimClient.client_id, *key)
            .join(FctRiskScore, FctRiskScore.client_key == DimClient.client_key)
            .join(
                FctClientDay,
                (FctClientDay.client_key == DimClient.client_key) & (FctClientDay.date == on),
            )
            .where(*_active(counselor_key, on), FctRiskScore.date == on)
            .order_by(*(k.desc() for k in key))
        ).all()
    best = tuple(rows[0][1:])
    return {r[0] for r in rows if tuple(r[1:]) == best}

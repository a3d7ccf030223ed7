"""The Outcomes marts against the facts they sum, on a synthetic program (synth -> ingest ->
risk refresh) on both databases.

The day figures the page reads from the marts must equal the same figures computed straight
from the facts (the SQL the read layer ran before the marts existed, restated below) for any
period and counselor; and a new load, refreshed incrementally, must change the marts exactly
as a rebuild from scratch would.
"""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Connection, and_, case, func, or_, select

from dashboard.auth.permissions import permissions_for
from dashboard.outcomes_cli import CLI_SCOPE
from dashboard.read import caseload as read_caseload
from dashboard.read import outcomes as read_outcomes
from dashboard.read.scope import Scope
from etl import marts
from etl.ingest import ingest_paths
from etl.models import (
    Base,
    DimClient,
    DimStaff,
    FctCheckin,
    FctClientDay,
    FctDrugScreen,
    FctRiskScore,
)
from etl.risk import refresh, score
from tests.dash_pipeline import SCORED_AT, TODAY, seed_pipeline
from tests.factories import mart_rows

# --------------------------------------------------------------------------- from the facts


def _clients(program_key: int, counselor: int | None):
    cond = DimClient.program_key == program_key
    return cond if counselor is None else and_(cond, DimClient.counselor_key == counselor)


def _frame(conn: Connection, stmt) -> pd.DataFrame:
    result = conn.execute(stmt)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


# The engine's met check-in, restated here rather than taken from etl.marts (what is tested).
MET = and_(
    FctClientDay.is_expected,
    ~FctClientDay.is_missed,
    or_(
        FctClientDay.is_received,
        and_(DimClient.checkin_schedule == "weekly", FctClientDay.days_since_checkin <= 6),
    ),
)


def direct_figures(conn: Connection, program_key, start, end, counselor=None) -> dict:
    """Adherence, abstinence, screens (with their client counts), the tier mix and the
    weekly trend read straight from the fact tables, finished by the same pandas code."""
    who = _clients(program_key, counselor)
    met = MET
    settled = and_(FctClientDay.is_expected, or_(FctClientDay.is_missed, met))
    day_join = (FctClientDay, DimClient, DimClient.client_key == FctClientDay.client_key)
    in_days = (who, FctClientDay.date.between(start, end))
    adherence = _frame(
        conn,
        select(
            FctClientDay.date,
            func.sum(case((settled, 1), else_=0)).label("expected"),
            func.sum(case((met, 1), else_=0)).label("met"),
        )
        .select_from(day_join[0])
        .join(*day_join[1:])
        .where(*in_days)
        .group_by(FctClientDay.date),
    )
    adherence_clients = conn.execute(
        select(func.count(func.distinct(FctClientDay.client_key)))
        .select_from(day_join[0])
        .join(*day_join[1:])
        .where(*in_days, settled)
    ).scalar()
    used = func.max(case((FctCheckin.used_since_last, 1), else_=0)).label("used")
    per_day = (
        select(FctCheckin.client_key, FctCheckin.local_date.label("date"), used)
        .join(DimClient, DimClient.client_key == FctCheckin.client_key)
        .where(
            who,
            FctCheckin.local_date.between(start, end),
            FctCheckin.used_since_last.is_not(None),
        )
        .group_by(FctCheckin.client_key, FctCheckin.local_date)
        .subquery()
    )
    abstinence = _frame(
        conn,
        select(
            per_day.c.date,
            func.count().label("answered"),
            func.sum(1 - per_day.c.used).label("abstinent"),
        ).group_by(per_day.c.date),
    )
    abstinence_clients = conn.execute(
        select(func.count(func.distinct(per_day.c.client_key)))
    ).scalar()
    in_screens = (who, FctDrugScreen.local_date.between(start, end))
    screens = _frame(
        conn,
        select(
            FctDrugScreen.local_date.label("date"),
            FctDrugScreen.substance,
            FctDrugScreen.result,
            func.count().label("screens"),
        )
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .where(*in_screens)
        .group_by(FctDrugScreen.local_date, FctDrugScreen.substance, FctDrugScreen.result),
    )
    reach = {
        ("screen", str(s)): int(n)
        for s, n in conn.execute(
            select(FctDrugScreen.substance, func.count(func.distinct(FctDrugScreen.client_key)))
            .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
            .where(*in_screens)
            .group_by(FctDrugScreen.substance)
        )
    }
    reach[("screen", "")] = conn.execute(
        select(func.count(func.distinct(FctDrugScreen.client_key)))
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .where(*in_screens)
    ).scalar()
    tiers = _frame(
        conn,
        select(FctRiskScore.date, FctRiskScore.tier, func.count().label("days"))
        .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
        .where(who, FctRiskScore.date.between(start, end))
        .group_by(FctRiskScore.date, FctRiskScore.tier),
    )
    return {
        "adherence": (int(adherence["expected"].sum()), int(adherence["met"].sum())),
        "adherence_clients": int(adherence_clients or 0),
        "abstinence": (int(abstinence["answered"].sum()), int(abstinence["abstinent"].sum())),
        "abstinence_clients": int(abstinence_clients or 0),
        "screens": read_outcomes.screen_summary(screens, reach),
        "risk_mix": read_outcomes.risk_mix(tiers),
        "weekly": read_outcomes.weekly(adherence, abstinence, screens),
    }


def mart_figures(result: dict) -> dict:
    """The same figures from ``program_outcomes`` (which reads the marts)."""
    return {
        "adherence": (result["adherence"]["expected"], result["adherence"]["met"]),
        "adherence_clients": result["adherence"]["clients"],
        "abstinence": (
            result["abstinence"]["answered_days"],
            result["abstinence"]["abstinent_days"],
        ),
        "abstinence_clients": result["abstinence"]["clients"],
        "screens": result["screens"],
        "risk_mix": result["risk_mix"],
        "weekly": result["weekly"],
    }


# --------------------------------------------------------------------------- fixtures


def _world(backend, tmp_path_factory, fresh_database, name: str):
    from etl.db import make_engine

    folder = tmp_path_factory.mktemp(name)
    engine = make_engine(fresh_database(backend))
    Base.metadata.create_all(engine)
    # 120 clients: the first program has two counselors (a client can move between them).
    world = seed_pipeline(engine, folder / "files", clients=120, days=60)
    return engine, world, folder


@pytest.fixture(scope="module")
def synthetic(backend, tmp_path_factory, fresh_database):
    engine, world, _ = _world(backend, tmp_path_factory, fresh_database, "marts")
    yield engine, world
    engine.dispose()


PERIODS = [
    (TODAY - dt.timedelta(days=34), TODAY),  # five weeks up to today (in progress)
    (TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=11)),  # ten days, mid-week
    (TODAY - dt.timedelta(days=59), TODAY - dt.timedelta(days=30)),  # the first month
    (TODAY, TODAY),  # one day
    (TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=300)),  # before any data
]


@pytest.mark.parametrize("start, end", PERIODS)
def test_mart_figures_equal_the_facts(synthetic, start, end):
    engine, world = synthetic
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
        got = mart_figures(read_outcomes.program_outcomes(conn, key, start, end))
        want = direct_figures(conn, key, start, end)
    assert got == want
    if start == PERIODS[0][0]:  # the figures compared are not all empty
        assert got["adherence"][0] > 1000 and got["abstinence_clients"] > 11
        assert got["screens"]["collected"] > 0 and len(got["risk_mix"]) == 6


def test_mart_figures_equal_the_facts_per_counselor(synthetic):
    engine, world = synthetic
    start, end = PERIODS[0]
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
        staff = read_outcomes.counselors(conn, key)
        assert len(staff) >= 2
        for counselor in staff["staff_key"]:
            got = mart_figures(read_outcomes.program_outcomes(conn, key, start, end, counselor))
            assert got == direct_figures(conn, key, start, end, int(counselor)), counselor


def test_periods_read_together_equal_each_read_alone(synthetic):
    """The page reads its period and the one before in one go; the figures are the same."""
    engine, world = synthetic
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
        together = read_outcomes.period_outcomes(conn, key, PERIODS[:3])
        alone = [read_outcomes.program_outcomes(conn, key, s, e) for s, e in PERIODS[:3]]
    assert together == alone
    assert together[0]["followup"]["flags"] > 0 and together[0] != together[1]


def test_caseload_trends_from_the_mart_equal_the_facts(synthetic):
    """Missed's adherence and Sleep & stress's means per day (``read.caseload``) against the
    client-days: each counselor's, and the program's per counselor for a supervisor."""
    engine, world = synthetic
    start, end = PERIODS[0]
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
        supervisor = Scope(0, "supervisor", None, key, permissions_for("supervisor"))
        met = MET
        one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
        want = _frame(
            conn,
            select(
                FctClientDay.date,
                DimClient.counselor_key,
                one(met).label("met"),
                one(and_(FctClientDay.is_expected, FctClientDay.is_missed)).label("missed"),
                func.coalesce(func.sum(FctClientDay.sleep_hours), 0.0).label("sleep_hours_sum"),
                func.count(FctClientDay.sleep_hours).label("sleep_answers"),
                func.coalesce(func.sum(FctClientDay.stress), 0.0).label("stress_sum"),
                func.count(FctClientDay.stress).label("stress_answers"),
            )
            .join(DimClient, DimClient.client_key == FctClientDay.client_key)
            .where(DimClient.program_key == key, FctClientDay.date.between(start, end))
            .group_by(FctClientDay.date, DimClient.counselor_key),
        )
        adherence = read_caseload.adherence_by_day(conn, supervisor, start, end)
        signals = read_caseload.signals_by_day(conn, supervisor, start, end)
        counselor = int(want["counselor_key"].iloc[0])
        own = Scope(0, "counselor", counselor, None, permissions_for("counselor"))
        own_adherence = read_caseload.adherence_by_day(conn, own, start, end, counselor)
        other = read_caseload.adherence_by_day(conn, own, start, end, counselor + 1)
    got = adherence.merge(signals, on=["date", "counselor_key"])
    order = ["date", "counselor_key"]
    got = got.sort_values(order).reset_index(drop=True)
    want = want.sort_values(order).reset_index(drop=True)
    assert len(got) == len(want) > 30 and want["sleep_answers"].sum() > 500
    for col in ("met", "missed", "sleep_answers", "stress_answers"):
        assert got[col].astype(int).tolist() == want[col].astype(int).tolist(), col
    for col in ("sleep_hours_sum", "stress_sum"):
        assert got[col].astype(float).round(6).tolist() == want[col].astype(float).round(6).tolist()
    mine = want[want["counselor_key"] == counselor]
    assert own_adherence["met"].sum() == mine["met"].sum() > 0
    assert other.empty  # a counselor asking for another caseload's days gets none


# --------------------------------------------------------------------------- a new load


def _write(path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _read(path) -> tuple[list[str], list[dict]]:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_a_new_load_changes_the_marts_as_a_rebuild_would(backend, tmp_path_factory, fresh_database):
    """A later file brings a screen and a check-in answering "used: yes" for one client, and
    moves another client to a colleague; the incremental refresh after that ingest leaves the
    marts equal to a rebuild from scratch, with the new figures in them."""
    engine, world, folder = _world(backend, tmp_path_factory, fresh_database, "marts_load")
    files = folder / "files"
    start, end = TODAY - dt.timedelta(days=13), TODAY
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
        before = read_outcomes.program_outcomes(conn, key, start, end)
        old_rows = mart_rows(conn)
        clients = conn.execute(
            select(DimClient.client_id, DimClient.counselor_key, DimStaff.staff_id)
            .join(DimStaff, DimStaff.staff_key == DimClient.counselor_key)
            .where(DimClient.program_key == key, DimClient.discharge_date.is_(None))
            .order_by(DimClient.client_id)
        ).all()
    staff_ids = sorted({r.staff_id for r in clients})
    assert len(staff_ids) >= 2
    user, mover = clients[0], next(r for r in clients[1:] if r.staff_id != clients[0].staff_id)
    new_counselor = next(s for s in staff_ids if s != mover.staff_id)

    day = TODAY - dt.timedelta(days=3)
    header, rows = _read(files / "checkins.csv")
    template = next(r for r in rows if r["client_id"] == user.client_id)
    checkin = {
        **template,
        "checkin_id": "CK-NEW-1",
        "submitted_at": f"{day.isoformat()}T21:30:00-05:00",
        "used_since_last": "yes",
    }
    header_s, _ = _read(files / "drug_screens.csv")
    screen = {
        "screen_id": "DS-NEW-1",
        "client_id": user.client_id,
        "collected_at": f"{day.isoformat()}T10:00:00-05:00",
        "substance": "fentanyl",
        "result": "positive",
    }
    header_c, roster = _read(files / "clients.csv")
    moved = {**next(r for r in roster if r["client_id"] == mover.client_id)}
    moved["counselor_id"] = new_counselor
    later = tmp_path_factory.mktemp("later")
    _write(later / "checkins.csv", header, [checkin])
    _write(later / "drug_screens.csv", header_s, [screen])
    _write(later / "clients.csv", header_c, [moved])
    report = ingest_paths(engine, sorted(later.glob("*.csv")))
    assert report.ok and all(f.rejected == 0 for f in report.files)
    stats = refresh(engine, report.changes, now=SCORED_AT)
    assert stats.mode == "incremental" and "marts" in stats.timings

    with engine.connect() as conn:
        after = read_outcomes.program_outcomes(conn, key, start, end)
        incremental = mart_rows(conn)
        assert after["screens"]["collected"] == before["screens"]["collected"] + 1
        assert after["screens"]["positive"] == before["screens"]["positive"] + 1
        fentanyl = before["screens"]["by_substance"].get("fentanyl", {"collected": 0})
        assert after["screens"]["by_substance"]["fentanyl"]["collected"] == (
            fentanyl["collected"] + 1
        )
        assert mart_figures(after) == direct_figures(conn, key, start, end)
    assert incremental != old_rows
    with engine.begin() as conn:
        marts.refresh(conn, None)
    with engine.connect() as conn:
        assert mart_rows(conn) == incremental
        # The moved client counts for the new counselor now, in the marts as in the facts.
        new_key = conn.execute(
            select(DimStaff.staff_key).where(DimStaff.staff_id == new_counselor)
        ).scalar_one()
        got = read_outcomes.program_outcomes(conn, key, start, end, new_key)
        assert mart_figures(got) == direct_figures(conn, key, start, end, new_key)
    engine.dispose()


@pytest.mark.parametrize("tally_rows", [marts.TALLY_ROWS, 1])
def test_a_full_rescore_counts_the_marts_as_the_sql_rebuild_does(
    synthetic, monkeypatch, tally_rows
):
    """``caseload score --full`` counts the client-day and score sums while it writes them
    (``marts.Tally``); the marts it leaves equal the rebuild that sums the facts in SQL,
    whether the counts are kept per chunk or summed together after every chunk."""
    engine, _ = synthetic
    monkeypatch.setattr(marts, "TALLY_ROWS", tally_rows)
    monkeypatch.setattr(score, "CELLS_PER_CHUNK", 1000)  # many chunks, as on a large program
    stats = refresh(engine, None, now=SCORED_AT)
    assert stats.mode == "full" and stats.rows > 0 and stats.chunks > 5
    with engine.connect() as conn:
        counted = mart_rows(conn)
    with engine.begin() as conn:
        marts.refresh(conn, None)
    with engine.connect() as conn:
        summed = mart_rows(conn)
    assert counted == summed
    adherence = [r for r in counted["mart_outcomes_reach"] if r[2] == "adherence"]
    assert adherence and any(r[5] is None for r in adherence)  # first days: no previous
    assert sum(r[4] for r in counted["mart_outcomes_day"]) > 0  # met check-ins

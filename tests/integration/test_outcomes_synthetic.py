"""Program outcomes on a synthetic program (synth -> ingest -> risk refresh), against an
independent pandas computation from the warehouse's raw tables.

The pandas side reads whole tables and applies the definitions of docs/outcomes.md in its own
way (day by day over the roster, pending check-ins found from the check-ins themselves), so a
shared mistake in the read layer's SQL would show up here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard.outcomes_cli import CLI_SCOPE
from dashboard.read import outcomes as read_outcomes
from etl.models import (
    DimClient,
    DimProgram,
    FctCheckin,
    FctClientDay,
    FctDrugScreen,
    FctRiskScore,
)
from tests.dash_pipeline import TODAY, seed_pipeline

START = TODAY - dt.timedelta(days=34)


def table(engine, *columns) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(select(*columns))
        return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


@pytest.fixture(scope="module")
def synthetic(backend, tmp_path_factory, fresh_database):
    from etl.db import make_engine
    from etl.models import Base

    folder = tmp_path_factory.mktemp("synth")
    engine = make_engine(fresh_database(backend))
    Base.metadata.create_all(engine)
    world = seed_pipeline(engine, folder / "files", clients=80, days=60)
    yield engine, world
    engine.dispose()


def expected_figures(engine, program_id: str) -> dict:
    programs = table(engine, DimProgram.program_key, DimProgram.program_id)
    key = int(programs.loc[programs["program_id"] == program_id, "program_key"].iloc[0])
    clients = table(
        engine,
        DimClient.client_key,
        DimClient.program_key,
        DimClient.admission_date,
        DimClient.discharge_date,
        DimClient.checkin_schedule,
    )
    clients = clients[clients["program_key"] == key]
    mine = set(clients["client_key"])
    period = [START + dt.timedelta(days=i) for i in range((TODAY - START).days + 1)]

    def enrolled(day):
        return (clients["admission_date"] <= day) & (
            clients["discharge_date"].isna() | (clients["discharge_date"] >= day)
        )

    daily = [int(enrolled(d).sum()) for d in period]
    out = {
        "census_end": daily[-1],
        "census_avg": sum(daily) / len(daily),
        "admissions": int(clients["admission_date"].between(START, TODAY).sum()),
        "discharges": int(clients["discharge_date"].dropna().between(START, TODAY).sum()),
    }
    cohort = clients[clients["admission_date"].between(START, TODAY)]
    for n in (30, 60, 90):
        eligible = [
            r for r in cohort.itertuples() if r.admission_date + dt.timedelta(days=n) <= TODAY
        ]
        kept = [
            r
            for r in eligible
            if pd.isna(r.discharge_date)
            or r.discharge_date >= r.admission_date + dt.timedelta(days=n)
        ]
        out[f"retention_{n}"] = (len(eligible), len(kept))

    days = table(
        engine,
        FctClientDay.client_key,
        FctClientDay.date,
        FctClientDay.is_expected,
        FctClientDay.is_missed,
    )
    days = days[days["client_key"].isin(mine) & days["date"].between(START, TODAY)]
    checkins = table(
        engine, FctCheckin.client_key, FctCheckin.local_date, FctCheckin.used_since_last
    )
    checkins = checkins[checkins["client_key"].isin(mine)]
    # Pending: expected on the day in progress (TODAY, scored at 09:30) and not met by a
    # check-in that day (a weekly client: within the last seven days).
    schedule = clients.set_index("client_key")["checkin_schedule"]
    sent = set(zip(checkins["client_key"], checkins["local_date"], strict=True))

    def met_today(client_key) -> bool:
        window = 7 if schedule[client_key] == "weekly" else 1
        return any((client_key, TODAY - dt.timedelta(days=i)) in sent for i in range(window))

    expected = days[days["is_expected"].astype(bool)]
    pending = expected[
        (expected["date"] == TODAY)
        & ~expected["is_missed"].astype(bool)
        & ~expected["client_key"].map(met_today)
    ]
    settled = expected.drop(pending.index)
    out["adherence"] = (len(settled), int((~settled["is_missed"].astype(bool)).sum()))

    answered = checkins[
        checkins["used_since_last"].notna() & checkins["local_date"].between(START, TODAY)
    ]
    per_day = answered.groupby(["client_key", "local_date"])["used_since_last"].apply(
        lambda s: bool(s.astype(bool).any())
    )
    out["abstinence"] = (len(per_day), int((~per_day).sum()))

    screens = table(
        engine,
        FctDrugScreen.client_key,
        FctDrugScreen.local_date,
        FctDrugScreen.substance,
        FctDrugScreen.result,
    )
    screens = screens[
        screens["client_key"].isin(mine) & screens["local_date"].between(START, TODAY)
    ]
    out["screens"] = (len(screens), int((screens["result"] == "negative").sum()))
    out["by_substance"] = {
        s: (len(g), int((g["result"] == "negative").sum())) for s, g in screens.groupby("substance")
    }

    scores = table(
        engine,
        FctRiskScore.client_key,
        FctRiskScore.date,
        FctRiskScore.tier,
        FctRiskScore.is_newly_high,
    )
    scores = scores[scores["client_key"].isin(mine) & scores["date"].between(START, TODAY)]
    scores["week"] = [d - dt.timedelta(days=d.weekday()) for d in scores["date"]]
    mix = scores.groupby("week")["tier"].value_counts(normalize=True).unstack(fill_value=0)
    out["mix"] = {w.isoformat(): dict(row) for w, row in mix.iterrows()}
    out["flags"] = int(scores["is_newly_high"].astype(bool).sum())
    return out


def test_synthetic_program_matches_pandas(synthetic):
    engine, world = synthetic
    want = expected_figures(engine, world.program_id)
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
        got = read_outcomes.program_outcomes(conn, key, START, TODAY)
    assert got["census_end"] == want["census_end"] > 11
    assert got["census_avg"] == pytest.approx(want["census_avg"])
    assert (got["admissions"], got["discharges"]) == (want["admissions"], want["discharges"])
    for n in (30, 60, 90):
        block = got["retention"][str(n)]
        assert (block["eligible"], block["retained"]) == want[f"retention_{n}"], n
    assert (got["adherence"]["expected"], got["adherence"]["met"]) == want["adherence"]
    assert got["adherence"]["expected"] > 1000
    abst = got["abstinence"]
    assert (abst["answered_days"], abst["abstinent_days"]) == want["abstinence"]
    assert (got["screens"]["collected"], got["screens"]["negative"]) == want["screens"]
    assert {
        s: (b["collected"], b["negative"]) for s, b in got["screens"]["by_substance"].items()
    } == want["by_substance"]
    assert got["followup"]["flags"] == want["flags"] > 0
    assert [m["week_start"] for m in got["risk_mix"]] == sorted(want["mix"])
    for week in got["risk_mix"]:
        for tier in ("low", "moderate", "high", "critical"):
            assert week[tier] == pytest.approx(want["mix"][week["week_start"]].get(tier, 0.0))


def test_model_check_is_evaluate_risk_on_the_program(synthetic):
    """The page's check gives evaluate-risk's figures for the program (its per-program
    group), and the bootstrap interval covers the point estimate."""
    from dashboard.read.model_check import model_check
    from etl.risk.evaluate import evaluate

    engine, world = synthetic
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, world.program_id)
    check = model_check(engine, key, START, TODAY, TODAY, boots=100)
    reference = evaluate(engine, horizon=7, k=5, start=START, end=TODAY)
    mine = reference["groups"]["program_key"][str(key)]
    assert check["n"] == mine["n"] > 500
    assert check["positives"] == mine["positives"] > 0
    assert check["auroc"] == pytest.approx(mine["auroc"])
    lo, hi = check["ci"]["auroc"]
    assert lo <= check["auroc"] <= hi and hi - lo < 0.5
    lo, hi = check["ci"]["pr_auc"]
    assert lo <= check["pr_auc"] <= hi
    assert 0 < check["base_rate"] < 1
    assert sum(t["n"] for t in check["tiers"].values()) == check["n"]
    for values in check["groups"].values():
        for g in values.values():
            assert g["warning"] == (g["auroc"] is not None and g["auroc"] < check["auroc"] - 0.05)
    budgets = check["budget"]["budgets"]
    assert [b["k"] for b in budgets] == list(range(1, 21))
    caught = [b["caught"] for b in budgets]
    flags = [b["flags_per_day"] for b in budgets]
    assert caught == sorted(caught) and flags == sorted(flags)  # a bigger budget never loses
    assert flags[0] == pytest.approx(1.0) and caught[-1] <= 1.0
    assert 0 <= check["budget"]["current"]["caught"] <= 1

"""The risk refresh against a real warehouse, on SQLite and PostgreSQL.

The central property: whatever sequence of incremental refreshes ran (new days, silent days,
corrections in the past, new clients, a discharge), the tables end up exactly as a full
recompute would leave them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from factories import Warehouse, mart_rows, steady_days, url_of
from sqlalchemy import Engine, func, select, update

from etl.audit import verify_chain
from etl.changes import ChangeSet
from etl.cli import main
from etl.models import AppAuditLog, DimClient, FctCheckin, FctClientDay, FctRiskScore
from etl.risk import bulk, refresh
from etl.risk.config import default_config
from etl.risk.export import export_scores
from etl.risk.rules import RULE_VERSION

D0 = dt.date(2026, 9, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def snapshot(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    with engine.connect() as conn:
        days = pd.DataFrame(conn.execute(select(FctClientDay)).mappings().all())
        scores = pd.DataFrame(conn.execute(select(FctRiskScore)).mappings().all())
    days = days.sort_values(["client_key", "date"]).reset_index(drop=True)
    scores = scores.drop(columns=["computed_at"]).sort_values(["client_key", "date"])
    scores["reasons"] = scores["reasons"].map(lambda r: json.dumps(r, sort_keys=True))
    return days, scores.reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if a[col].dtype.kind == "f" or b[col].dtype.kind == "f":
            xf = pd.to_numeric(a[col], errors="coerce").to_numpy(dtype=float)
            yf = pd.to_numeric(b[col], errors="coerce").to_numpy(dtype=float)
            assert np.allclose(xf, yf, equal_nan=True, atol=1e-9), col
        else:
            mismatch = [
                i for i in range(len(x)) if not (x[i] == y[i] or (pd.isna(x[i]) and pd.isna(y[i])))
            ]
            assert not mismatch, (col, [(x[i], y[i]) for i in mismatch[:3]])


@pytest.fixture
def world(engine: Engine):
    w = Warehouse(engine)
    program = w.program("P1")
    counselor = w.staff(program)
    keys = {
        "steady": w.client(program, D0, counselor_key=counselor),
        "silent": w.client(program, D0, counselor_key=counselor),
        "weekly": w.client(program, D0, counselor_key=counselor, schedule="weekly"),
        "late": w.client(program, day(35), counselor_key=counselor),
    }
    w.checkins(
        steady_days(
            keys["steady"],
            D0,
            40,
            {
                33: dict(sleep_hours=5),
                35: dict(sleep_hours=5),
                37: dict(sleep_hours=5.5),
                39: dict(sleep_hours=4, stress=8),
            },
        )
    )
    w.checkins(steady_days(keys["silent"], D0, 30))
    w.checkins(
        [
            dict(
                client_key=keys["weekly"],
                local_date=day(d),
                craving=3,
                stress=4,
                mood=6,
                sleep_hours=7,
                sleep_quality=3,
                used=False,
                support=True,
            )
            for d in (3, 10, 17, 24, 31)
        ]
    )
    w.checkins(steady_days(keys["late"], day(35), 5))
    w.screen(keys["steady"], day(36), "positive")
    return w, program, counselor, keys


def test_full_refresh_writes_every_enrolled_day(engine, world):
    _, _, _, keys = world
    stats = refresh(engine, None)
    assert stats.as_of == day(39)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(FctClientDay)).scalar()
        scores = conn.execute(select(func.count()).select_from(FctRiskScore)).scalar()
        versions = conn.execute(
            select(FctRiskScore.rule_version, FctRiskScore.config_hash).distinct()
        ).all()
        silent = conn.execute(
            select(FctRiskScore.score, FctRiskScore.tier, FctRiskScore.reasons).where(
                FctRiskScore.client_key == keys["silent"], FctRiskScore.date == day(39)
            )
        ).one()
        late_first = conn.execute(
            select(func.min(FctClientDay.date)).where(FctClientDay.client_key == keys["late"])
        ).scalar()
    assert count == scores == 40 * 3 + 5
    assert versions == [(RULE_VERSION, default_config().config_hash)]
    assert silent.tier in ("high", "critical")
    assert silent.reasons[0]["code"] == "disengagement"
    assert "10 check-ins missed in a row" in silent.reasons[0]["text"]
    assert late_first == day(35)


def test_incremental_refreshes_equal_a_full_recompute(engine, world):
    w, program, counselor, keys = world
    refresh(engine, None)

    # A new day: two clients check in; the silent one and the others must still get the day.
    w.checkins(steady_days(keys["steady"], day(40), 1))
    w.checkins(
        [
            dict(
                client_key=keys["weekly"],
                local_date=day(40),
                craving=5,
                stress=6,
                mood=4,
                sleep_hours=6,
                sleep_quality=2,
                used=True,
                support=False,
            )
        ]
    )
    changes = ChangeSet()
    changes.touch(keys["steady"], day(40))
    changes.touch(keys["weekly"], day(40))
    stats = refresh(engine, changes)
    # The new day for the four clients, and the previous last day again (it may have been
    # scored while still in progress).
    assert stats.as_of == day(40) and stats.rows == 8

    # A correction in the past.
    with engine.begin() as conn:
        conn.execute(
            update(FctCheckin)
            .where(FctCheckin.client_key == keys["steady"], FctCheckin.local_date == day(25))
            .values(stress=10, used_since_last=True)
        )
    changes = ChangeSet()
    changes.touch(keys["steady"], day(25))
    refresh(engine, changes)

    # A new client with a few days of history, and a discharge moved earlier.
    new = w.client(program, day(38), counselor_key=counselor)
    w.checkins(steady_days(new, day(38), 3, {2: dict(craving=8)}))
    with engine.begin() as conn:
        conn.execute(
            update(DimClient)
            .where(DimClient.client_key == keys["late"])
            .values(discharge_date=day(37))
        )
    changes = ChangeSet()
    changes.touch(new, day(38))
    changes.touch(keys["late"], day(37))
    refresh(engine, changes)

    # Roster corrections announced late: admission moved later (touched on the new date) and
    # a discharge backdated before the day it was touched.
    with engine.begin() as conn:
        conn.execute(
            update(DimClient)
            .where(DimClient.client_key == keys["weekly"])
            .values(admission_date=day(10))
        )
        conn.execute(
            update(DimClient)
            .where(DimClient.client_key == keys["silent"])
            .values(discharge_date=day(33))
        )
    changes = ChangeSet()
    changes.touch(keys["weekly"], day(10))
    changes.touch(keys["silent"], day(40))
    refresh(engine, changes)

    incremental = snapshot(engine)
    with engine.connect() as conn:
        marts_incremental = mart_rows(conn)
    refresh(engine, None)
    full = snapshot(engine)
    assert_same(incremental[0], full[0])
    assert_same(incremental[1], full[1])
    with engine.connect() as conn:  # the Outcomes marts, refreshed alongside
        assert mart_rows(conn) == marts_incremental
    assert marts_incremental["mart_outcomes_day"]
    late = full[0][full[0]["client_key"] == keys["late"]]
    assert late["date"].max() == day(37)
    weekly = incremental[0][incremental[0]["client_key"] == keys["weekly"]]
    silent = incremental[0][incremental[0]["client_key"] == keys["silent"]]
    assert weekly["date"].min() == day(10) and silent["date"].max() == day(33)
    assert len(full[1][full[1]["client_key"] == new]) == 3


def test_score_command_extends_silent_clients_and_evaluate_reports(engine, world):
    url = url_of(engine)
    runner = CliRunner()
    result = runner.invoke(
        main, ["score", "--full", "--as-of", day(39).isoformat(), "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    assert "125 client-days" in result.output
    result = runner.invoke(main, ["score", "--as-of", day(42).isoformat(), "--database-url", url])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        last = conn.execute(select(func.max(FctRiskScore.date))).scalar()
        n = conn.execute(
            select(func.count()).select_from(FctRiskScore).where(FctRiskScore.date == day(42))
        ).scalar()
    assert str(last)[:10] == day(42).isoformat() and n == 4

    result = runner.invoke(
        main, ["evaluate-risk", "--json", "--horizon", "3", "--k", "2", "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in (
        "auroc",
        "pr_auc",
        "precision_at_k",
        "k",
        "horizon_days",
        "n",
        "positives",
        "baselines",
    ):
        assert key in report
    assert report["k"] == 2 and report["horizon_days"] == 3
    assert set(report["baselines"]) >= {"craving_today", "days_since_checkin"}
    assert report["positives"] >= 1 and report["n"] > report["positives"]


def test_scores_export_is_written_and_audited(engine, world, tmp_path):
    _, _, _, keys = world
    refresh(engine, None)
    out = tmp_path / "scores.csv"
    rows = export_scores(engine, out, start=day(38), end=day(39))
    with out.open() as fh:
        data = list(csv.DictReader(fh))
    assert rows == len(data) == 8
    assert set(data[0]) == {"client_id", "date", "score", "tier", "reasons"}
    assert {r["date"] for r in data} == {day(38).isoformat(), day(39).isoformat()}
    assert all(isinstance(json.loads(r["reasons"]), list) for r in data)
    with engine.connect() as conn:
        event = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id.desc())).first()
    assert event.action == "export" and event.category == "risk_scores"
    assert event.detail["rows"] == 8 and event.detail["identified"] is True
    assert set(event.client_keys) == set(keys.values())
    assert verify_chain(engine) is None
    assert not list(tmp_path.glob(".*partial"))


def test_stored_rows_equal_the_pure_computation(engine, world):
    """What the bulk writers store (binary COPY on PostgreSQL, executemany on SQLite) reads
    back as exactly what ``compute`` produced."""
    from etl.risk import bulk
    from etl.risk.client_day import to_day
    from etl.risk.compute import compute, to_frames

    refresh(engine, None)
    with engine.connect() as conn:
        clients = bulk.read_clients(conn)
        keys = clients["client_key"].tolist()
        checkins = bulk.read_checkins(conn, keys, D0, day(39))
        screens = bulk.read_screens(conn, keys, D0, day(39))
    result = compute(clients, checkins, screens, D0, day(39), default_config())
    expected_days, expected_scores = to_frames(result)
    stored_days, stored_scores = snapshot(engine)
    expected_days = expected_days.sort_values(["client_key", "date"]).reset_index(drop=True)
    stored_days["date"] = [d if isinstance(d, dt.date) else d.date() for d in stored_days["date"]]
    for col in expected_days.columns:
        a = pd.to_numeric(expected_days[col], errors="coerce") if col != "date" else None
        if a is None:
            assert list(expected_days[col]) == list(stored_days[col])
            continue
        b = pd.to_numeric(stored_days[col], errors="coerce")
        assert np.allclose(a.to_numpy(float), b.to_numpy(float), equal_nan=True), col
    expected_scores = expected_scores.sort_values(["client_key", "date"]).reset_index(drop=True)
    assert list(expected_scores["score"]) == list(stored_scores["score"])
    assert list(expected_scores["tier"]) == list(stored_scores["tier"])
    assert [json.dumps(r, sort_keys=True) for r in expected_scores["reasons"]] == list(
        stored_scores["reasons"]
    )
    assert to_day(stored_scores["date"].max()) == to_day(day(39))


def test_a_morning_load_keeps_today_pending_until_the_day_is_over(engine, world):
    """Scored at 9:00 on day 39 (New York), the clients who usually check in later are not
    counted as missed; the next day's refresh settles day 39 as a full recompute would."""
    _, _, _, keys = world
    morning = dt.datetime(2026, 10, 10, 13, 0, tzinfo=dt.UTC)  # day 39, 9:00 in New York
    refresh(engine, None, day(39), now=morning)
    with engine.connect() as conn:
        silent = conn.execute(
            select(
                FctClientDay.is_expected, FctClientDay.is_missed, FctClientDay.missed_streak
            ).where(FctClientDay.client_key == keys["silent"], FctClientDay.date == day(39))
        ).one()
    # Silent since day 30: days 30-38 missed, day 39 still pending.
    assert silent.is_expected and not silent.is_missed and silent.missed_streak == 9

    later = dt.datetime(2026, 10, 12, 13, 0, tzinfo=dt.UTC)
    refresh(engine, ChangeSet(), day(40), now=later)
    incremental = snapshot(engine)
    with engine.connect() as conn:
        marts_incremental = mart_rows(conn)
    refresh(engine, None, day(40), now=later)
    full = snapshot(engine)
    assert_same(incremental[0], full[0])
    assert_same(incremental[1], full[1])
    with engine.connect() as conn:  # day 39 settled in the marts too
        assert mart_rows(conn) == marts_incremental
    row = full[0][(full[0]["client_key"] == keys["silent"]) & (full[0]["date"] == day(39))]
    assert bool(row["is_missed"].iloc[0]) and int(row["missed_streak"].iloc[0]) == 10


def test_full_reload_on_sqlite_frees_pages_without_zeroing_them_and_restores_the_setting(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's secure_delete setting")
    with engine.begin() as conn:
        before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
        with bulk.full_reload(conn):
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 2  # FAST
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == before

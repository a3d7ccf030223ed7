"""``caseload export --anonymized`` at the issue's size: a year of one 5,000-client program,
about 1.5 million client-days, written as CSV and as XLSX (record level, day grain, k=5).

The warehouse is filled straight into ``fct_client_day`` and ``fct_risk_score`` (the only fact
tables the export reads): admissions spread over the first third of the year, so clients are
enrolled ~300 days on average. Each export runs in a child process; wall time and its own
peak memory are printed. Goals on the 2-core machine: CSV < 60 s, XLSX < 180 s, < 1 GiB.

    python -m benchmarks.bench_export                     # SQLite (and PostgreSQL when
                                                          # CASELOAD_BENCH_POSTGRES_URL is set)
    python -m benchmarks.bench_export --clients 500       # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_ingest import _fresh_sqlite, _migrate, _PgDatabase, measured
from benchmarks.risk_data import NOW, _keys, bulk_insert
from etl.models import DimClient, DimProgram, DimStaff, FctClientDay, FctRiskScore
from etl.risk.client_day import to_day

GOALS = {"csv": 60, "xlsx": 180}
GOAL_PEAK_MIB = 1024
AS_OF = dt.date(2026, 11, 30)
DAYS = 365
TIERS = np.array(["low", "moderate", "high", "critical"], object)


def fill(url: str, clients: int, seed: int = 11) -> int:
    """One program, ``clients`` clients, a year of client-days and scores; returns the days."""
    from etl.db import make_engine

    engine = make_engine(url)
    rng = np.random.default_rng(seed)
    first = to_day(AS_OF) - DAYS + 1
    with engine.begin() as conn:
        bulk_insert(
            conn,
            DimProgram.__table__,
            {
                "program_id": np.array(["BX"], object),
                "name": np.array(["Bench Export"], object),
                "time_zone": np.array(["America/New_York"], object),
                "row_hash": np.array(["x"], object),
                "updated_at": np.full(1, np.datetime64(NOW, "us")),
            },
        )
        program = _keys(conn, DimProgram.program_id, DimProgram.program_key)["BX"]
        n_staff = max(clients // 25, 2)
        sid = np.array([f"BXS{i:04d}" for i in range(n_staff)], object)
        bulk_insert(
            conn,
            DimStaff.__table__,
            {
                "staff_id": sid,
                "program_key": np.full(n_staff, program),
                "first_name": np.full(n_staff, "Bench", object),
                "last_name": sid,
                "email": np.full(n_staff, None, object),
                "role": np.full(n_staff, "counselor", object),
                "row_hash": np.full(n_staff, "x", object),
                "updated_at": np.full(n_staff, np.datetime64(NOW, "us")),
            },
        )
        staff = np.array(list(_keys(conn, DimStaff.staff_id, DimStaff.staff_key).values()))
        admitted = first + rng.integers(0, DAYS // 3, clients)
        bulk_insert(
            conn,
            DimClient.__table__,
            {
                "client_id": np.array([f"BXC{i:06d}" for i in range(clients)], object),
                "program_key": np.full(clients, program),
                "counselor_key": rng.choice(staff, clients),
                "sex": rng.choice(np.array(["male", "female"], object), clients),
                "birth_year": rng.integers(1960, 2005, clients),
                "zip3": rng.choice(np.array(["100", "112", "021"], object), clients),
                "admission_date": admitted.astype(float),
                "discharge_date": np.full(clients, np.nan),
                "primary_substance": np.full(clients, "cocaine", object),
                "checkin_schedule": np.full(clients, "daily", object),
                "row_hash": np.full(clients, "x", object),
                "updated_at": np.full(clients, np.datetime64(NOW, "us")),
            },
        )
        keys = conn.execute(
            DimClient.__table__.select()
            .with_only_columns(DimClient.client_key, DimClient.admission_date)
            .order_by(DimClient.client_key)
        ).all()
    total = 0
    for lo in range(0, len(keys), 500):
        part = keys[lo : lo + 500]
        ck = np.concatenate([np.full(to_day(AS_OF) - to_day(a) + 1, k) for k, a in part])
        day = np.concatenate([np.arange(to_day(a), to_day(AS_OF) + 1) for _, a in part])
        n = len(ck)
        got = rng.random(n) < 0.8
        # Two clients in five lapse now and then; the rest never do (l-diversity needs both).
        lapsing = np.isin(ck, [k for k, _ in part if rng.random() < 0.4])
        used = lapsing & (rng.random(n) < 0.02)

        def signal(lo_v, hi_v, n=n, got=got):
            return np.where(got, rng.uniform(lo_v, hi_v, n).round(1), np.nan)

        score = rng.gamma(2.0, 12.0, n).clip(0, 100)
        with engine.begin() as conn:
            bulk_insert(
                conn,
                FctClientDay.__table__,
                {
                    "client_key": ck,
                    "date": day,
                    "is_expected": np.ones(n, bool),
                    "is_received": got,
                    "checkin_count": got.astype(int),
                    "craving": signal(0, 10),
                    "stress": signal(0, 10),
                    "mood": signal(0, 10),
                    "sleep_hours": signal(4, 9),
                    "sleep_quality": signal(1, 5),
                    "used_reported": used,
                    "screen_positive": lapsing & (rng.random(n) < 0.01),
                    "trigger_count": rng.integers(0, 3, n),
                    "support_contact": got,
                    "missed_streak": np.where(got, 0, 1),
                    "adherence_7d": rng.uniform(0.5, 1, n).round(3),
                    "is_missed": ~got,
                    "cue_days_7d": rng.integers(0, 3, n),
                },
            )
            bulk_insert(
                conn,
                FctRiskScore.__table__,
                {
                    "client_key": ck,
                    "date": day,
                    "score": score.round(1),
                    "tier": TIERS[np.digitize(score, [25, 50, 75])],
                    "is_newly_high": np.zeros(n, bool),
                    "reasons": np.full(n, "[]", object),
                    "rule_version": np.full(n, "bench", object),
                    "config_hash": np.full(n, "x", object),
                    "computed_at": np.full(n, np.datetime64(NOW, "us")),
                },
            )
        total += n
    engine.dispose()
    return total


def bench(
    name: str, url: str, clients: int, workdir: Path, env: dict[str, str], formats: list[str]
) -> None:
    _migrate(url)
    days = fill(url, clients)
    print(f"  {name}: {clients:,} clients, {days:,} client-days", flush=True)
    for fmt in formats:
        out = workdir / f"export.{fmt}"
        cmd = [
            sys.executable,
            "-m",
            "etl.cli",
            "export",
            "--anonymized",
            "--format",
            fmt,
            "--out",
            str(out),
            "--from",
            (AS_OF - dt.timedelta(days=DAYS - 1)).isoformat(),
            "--to",
            AS_OF.isoformat(),
            "--database-url",
            url,
        ]
        run = measured(cmd, env)
        met = run.seconds < GOALS[fmt] and run.peak_mib < GOAL_PEAK_MIB
        print(
            f"  {name}, {fmt}: {run.seconds:.1f} s, peak {run.peak_mib:,.0f} MiB, "
            f"{out.stat().st_size / 2**20:,.0f} MiB file "
            f"({'met' if met else 'NOT met'}: goal < {GOALS[fmt]} s, < {GOAL_PEAK_MIB} MiB)\n"
            f"    {run.output.strip()}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    wanted = set(args.backends.split(","))
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory(prefix="caseload-bench-export-") as tmp:
        work = Path(tmp)
        if "sqlite" in wanted:
            bench("SQLite", _fresh_sqlite(work), args.clients, work, env, formats)
        pg = os.environ.get("CASELOAD_BENCH_POSTGRES_URL")
        if "postgresql" in wanted and pg:
            with _PgDatabase(pg) as url:
                bench("PostgreSQL", url, args.clients, work, env, formats)


if __name__ == "__main__":
    main()

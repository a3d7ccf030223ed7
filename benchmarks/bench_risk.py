"""Risk refresh: a full rescore of a year, and the incremental update for one new day.

Data: ``caseload synth`` (20,000 clients over 365 days by default: realistic enrolment, about
2 million client-days) written straight into the warehouse (``benchmarks.risk_data``), or with
``--dense`` every client enrolled on every day (20,000 x 365 = 7.3 million client-days, the
worst case). Only ``refresh`` is timed, not the loading.

1. full: ``refresh(engine, None)``, every client-day recomputed and written;
2. incremental: one new day of check-ins for every active client is inserted, then
   ``refresh(engine, changes)`` with those clients touched on that day.

The full rescore is the baseline measured in the same run; the ratio full / incremental says
what recomputing only what changed saves. Goals on the 2-core machine: full under 60 s,
incremental under 5 s.

    python -m benchmarks.bench_risk                              # 20,000 x 365, PostgreSQL
    python -m benchmarks.bench_risk --clients 1000 --days 120 --db sqlite
    python -m benchmarks.bench_risk --dense --db postgresql

PostgreSQL comes from ``CASELOAD_BENCH_POSTGRES_URL`` or ``CASELOAD_TEST_POSTGRES_URL`` (an
admin URL: a throwaway database is created and dropped); without either, SQLite is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select, text

from benchmarks.risk_data import bulk_insert, dense_checkins, fill_dense, load_synth
from etl.changes import ChangeSet
from etl.db import make_engine
from etl.models import Base, DimClient, FctCheckin
from etl.risk import refresh
from etl.risk.client_day import to_date, to_day

AS_OF = dt.date(2026, 11, 27)


def _pg_admin_url() -> str | None:
    return os.environ.get("CASELOAD_BENCH_POSTGRES_URL") or os.environ.get(
        "CASELOAD_TEST_POSTGRES_URL"
    )


def _fresh_database(kind: str, scratch: Path) -> tuple[Engine, callable]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{scratch / 'bench.db'}")
        return engine, engine.dispose
    admin = make_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"caseload_bench_risk_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))

    def drop() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine, drop


def _active_on(engine: Engine, day: dt.date) -> np.ndarray:
    with engine.connect() as conn:
        rows = conn.execute(
            select(DimClient.client_key).where(
                DimClient.admission_date <= day,
                (DimClient.discharge_date.is_(None)) | (DimClient.discharge_date >= day),
            )
        ).scalars()
        return np.array(sorted(rows), dtype=np.int64)


def _new_day(engine: Engine, day: dt.date, seed: int) -> ChangeSet:
    """One check-in on ``day`` for every client active that day; the ChangeSet ingest would
    hand over for it."""
    keys = _active_on(engine, day)
    rows = dense_checkins(np.random.default_rng(seed), keys, to_day(day), 1, id_prefix="NEW")
    with engine.begin() as conn:
        bulk_insert(conn, FctCheckin.__table__, rows)
    changes = ChangeSet()
    for key in keys:
        changes.touch(int(key), day)
    return changes


def run(kind: str, clients: int, days: int, dense: bool, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench_risk_") as tmp:
        scratch = Path(tmp)
        engine, drop = _fresh_database(kind, scratch)
        try:
            Base.metadata.create_all(engine)
            began = time.perf_counter()
            if dense:
                fill_dense(engine, clients, days, AS_OF, seed)
            else:
                from etl.synth import SynthConfig, generate

                out = scratch / "synth"
                generate(
                    SynthConfig(
                        out=out, clients=clients, days=days, seed=seed, as_of=AS_OF, truth=False
                    )
                )
                load_synth(engine, out)
            load_seconds = time.perf_counter() - began

            full = refresh(engine, None, AS_OF)
            next_day = to_date(to_day(AS_OF) + 1)
            changes = _new_day(engine, next_day, seed + 1)
            incremental = refresh(engine, changes, next_day)
        finally:
            drop()
    return {
        "load_seconds": load_seconds,
        "full_seconds": full.seconds,
        "full_rows": float(full.rows),
        "full_rows_per_s": full.rows / full.seconds,
        "incremental_seconds": incremental.seconds,
        "incremental_clients": float(len(changes.client_dates)),
        "incremental_rows": float(incremental.rows),
        "ratio_full_to_incremental": full.seconds / incremental.seconds,
        **{f"full_{k}_s": v for k, v in full.timings.items()},
        **{f"incremental_{k}_s": v for k, v in incremental.timings.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_risk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgresql", "both"],
        default=None,
        help="default: postgresql when a server URL is set, else sqlite",
    )
    parser.add_argument(
        "--dense", action="store_true", help="every client enrolled on every day (worst case)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    kinds = {"both": ["sqlite", "postgresql"], None: None}.get(args.db, [args.db])
    if kinds is None:
        kinds = ["postgresql"] if _pg_admin_url() else ["sqlite"]
    if "postgresql" in kinds and not _pg_admin_url():
        parser.error("PostgreSQL needs CASELOAD_BENCH_POSTGRES_URL or CASELOAD_TEST_POSTGRES_URL")
    data = "dense" if args.dense else "synth"
    for kind in kinds:
        print(
            f"risk refresh, {kind}, {data} data, {args.clients} clients x {args.days} days",
            flush=True,
        )
        figures = run(kind, args.clients, args.days, args.dense, args.seed)
        for name, value in figures.items():
            print(f"  {name:<34}{value:>14,.2f}")
        print(
            f"  full {figures['full_seconds']:.1f} s for {figures['full_rows']:,.0f} client-days"
            f" (goal < 60 s); incremental {figures['incremental_seconds']:.2f} s for "
            f"{figures['incremental_clients']:,.0f} clients (goal < 5 s); full / incremental = "
            f"{figures['ratio_full_to_incremental']:.0f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()

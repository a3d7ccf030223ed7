"""``caseload score --full`` after a backfill: 1,000,000 check-ins of 5,000 clients loaded with
``caseload ingest --no-refresh`` (about 3 million client-days to score), then the full rescore
twice: into empty tables, and again over the stored rows (what a new configuration costs).
Each command runs in a child process; wall time and its own peak memory are printed.
Goal on the 2-core machine: under 60 s and under 1 GiB, on SQLite and PostgreSQL.

    python -m benchmarks.bench_rescore                          # both databases
    python -m benchmarks.bench_rescore --rows 100000 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_ingest import (
    OUT,
    _fresh_sqlite,
    _migrate,
    _PgDatabase,
    generate,
    ingest,
    measured,
)

GOAL_SECONDS = 60
GOAL_PEAK_MIB = 1024


def bench(name: str, url: str, paths: dict[str, Path], env: dict[str, str]) -> None:
    _migrate(url)
    ingest(url, [paths["programs"], paths["staff"], paths["clients"]], env)
    ingest(url, [paths["checkins"]], env)
    cmd = [sys.executable, "-m", "etl.cli", "score", "--full", "--database-url", url]
    for label in ("into empty tables", "over the stored rows"):
        run = measured(cmd, env)
        met = run.seconds < GOAL_SECONDS and run.peak_mib < GOAL_PEAK_MIB
        print(
            f"  {name}, {label}: {run.seconds:.1f} s, peak {run.peak_mib:,.0f} MiB "
            f"({'met' if met else 'NOT met'}: goal < {GOAL_SECONDS} s, < {GOAL_PEAK_MIB} MiB)\n"
            f"    {run.output.strip()}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_rescore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CASELOAD_BENCH_POSTGRES_URL")
        or os.environ.get("CASELOAD_TEST_POSTGRES_URL"),
    )
    args = parser.parse_args(argv)
    paths = generate(OUT, args.rows, args.clients)
    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    )
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(f"full rescore after a backfill of {args.rows:,} check-ins, {args.clients:,} clients")
    with tempfile.TemporaryDirectory(prefix="caseload-rescore-") as tmp:
        if "sqlite" in backends:
            bench("sqlite", _fresh_sqlite(Path(tmp)), paths, env)
        if "postgresql" in backends:
            if not args.pg_url:
                print("  postgresql: skipped (no server URL)")
            else:
                with _PgDatabase(args.pg_url) as url:
                    bench("postgresql", url, paths, env)


if __name__ == "__main__":
    main()

"""Ingest throughput against the database's own bulk loader, measured in the same run.

Generates a roster and an N-row check-in file (valid rows of the data contract), then for each
database loads them with ``caseload ingest`` in a child process and times, on the same CSV, the
floor: the sqlite3 shell's ``.import`` into a bare table, and psql's ``\\copy`` into a bare
table. Prints rows/s, the child's peak memory and the ratio to the floor.

The goal (issue #12) is about the load itself, so the ratio is the file's load timed with
``--no-refresh``; a second load of the same files into a fresh database, this time with the risk
refresh an ``ingest`` sets off, is timed whole (``refresh cmd s``) so the figure a program sees
is printed beside it.

    python -m benchmarks.bench_ingest --rows 1000000          # the full benchmark
    python -m benchmarks.bench_ingest --rows 20000 --backends sqlite   # a quick look

PostgreSQL runs when a server URL is given (``--pg-url``, or ``CASELOAD_BENCH_POSTGRES_URL`` /
``CASELOAD_TEST_POSTGRES_URL``); the benchmark creates and drops its own database there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from etl.ingest.kinds import BY_NAME

OUT = Path(__file__).resolve().parent / "out"
GOAL_RATIO = 3.0  # issue #12: within 3x of the database's own bulk loader
GOAL_PEAK_MIB = 1024
CHECKIN_COLUMNS = list(BY_NAME["checkins"].columns)


# --------------------------------------------------------------------------- data


def generate(out: Path, rows: int, clients: int, seed: int = 11) -> dict[str, Path]:
    """Write programs, staff, clients and checkins CSVs; reuse them if already generated."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{rows}_{clients}_{seed}"
    paths = {k: out / f"{k}_{stem}.csv" for k in ("programs", "staff", "clients", "checkins")}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(seed)
    zones = ["America/New_York", "America/Denver"]
    pd.DataFrame(
        {
            "program_id": ["P1", "P2"],
            "name": ["Riverside Outpatient", "Mesa Recovery"],
            "time_zone": zones,
        }
    ).to_csv(paths["programs"], index=False)
    n_staff = max(2, clients // 40)
    staff_program = np.where(np.arange(n_staff) % 2 == 0, "P1", "P2")
    pd.DataFrame(
        {
            "staff_id": [f"S{i:04d}" for i in range(n_staff)],
            "program_id": staff_program,
            "first_name": [f"Staff{i}" for i in range(n_staff)],
            "last_name": ["Member"] * n_staff,
            "email": [f"staff{i}@program.example" for i in range(n_staff)],
            "role": ["counselor"] * n_staff,
        }
    ).to_csv(paths["staff"], index=False)
    counselor = rng.integers(0, n_staff, clients)
    admission = np.datetime64("2025-01-01") + rng.integers(0, 60, clients).astype("timedelta64[D]")
    pd.DataFrame(
        {
            "client_id": [f"C{i:06d}" for i in range(clients)],
            "program_id": staff_program[counselor],
            "counselor_id": [f"S{i:04d}" for i in counselor],
            "first_name": [f"Given{i}" for i in range(clients)],
            "last_name": [f"Family{i}" for i in range(clients)],
            "date_of_birth": (
                np.datetime64("1960-01-01")
                + rng.integers(0, 15000, clients).astype("timedelta64[D]")
            ).astype(str),
            "sex": rng.choice(["female", "male"], clients),
            "zip": [f"{z:05d}" for z in rng.integers(1000, 99999, clients)],
            "phone": [f"555-01{i % 100:02d}" for i in range(clients)],
            "email": [f"client{i}@mail.example" for i in range(clients)],
            "admission_date": admission.astype(str),
            "discharge_date": "",
            "primary_substance": rng.choice(["cocaine", "methamphetamine", "alcohol"], clients),
            "checkin_schedule": rng.choice(["daily", "weekdays", "weekly"], clients),
        }
    ).to_csv(paths["clients"], index=False)
    who = rng.integers(0, clients, rows)
    day = rng.integers(60, 660, rows)
    seconds = day * 86400 + rng.integers(7 * 3600, 22 * 3600, rows)
    stamp = np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    triggers = np.array(
        ["", "", "", "people", "places;music", "routines", "emotions", "people;emotions", "other"]
    )
    notes = np.array(
        [
            "",
            "",
            "",
            "",
            "felt steady today",
            "rough night, argued at home",
            "went to a meeting",
            "cravings after work",
        ]
    )
    frame = pd.DataFrame(
        {
            "checkin_id": np.char.add("K", np.arange(rows).astype(str)),
            "client_id": np.char.add("C", np.char.zfill(who.astype(str), 6)),
            "submitted_at": np.datetime_as_string(stamp, unit="s"),
            "craving": rng.integers(0, 11, rows),
            "stress": rng.integers(0, 11, rows),
            "mood": rng.integers(0, 11, rows),
            "sleep_hours": np.round(rng.uniform(3, 10, rows), 1),
            "sleep_quality": rng.integers(1, 6, rows),
            "used_since_last": rng.choice(np.array(["no", "no", "no", "yes", ""]), rows),
            "triggers": rng.choice(triggers, rows),
            "support_contact": rng.choice(np.array(["yes", "no"]), rows),
            "coping": rng.choice(np.array(["", "walk", "called sponsor;meditation"]), rows),
            "note": rng.choice(notes, rows),
        },
        columns=CHECKIN_COLUMNS,
    )
    partial = paths["checkins"].with_suffix(".partial")
    frame.to_csv(partial, index=False)
    partial.replace(paths["checkins"])
    return paths


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    seconds: float
    peak_mib: float
    output: str


def measured(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` through a tiny parent whose only child it is, so that the parent's
    RUSAGE_CHILDREN is exactly the command's own peak resident memory."""
    probe = (
        "import resource,subprocess,sys,time,json;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "d=time.perf_counter()-t;"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps({'rc':p.returncode,'s':d,'kib':r,'out':p.stdout,'err':p.stderr}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *cmd], capture_output=True, text=True, env=env, check=True
    )
    info = json.loads(done.stdout)
    if info["rc"] != 0:
        raise RuntimeError(f"{cmd[0]} failed ({info['rc']}): {info['err'][-2000:]}")
    return Run(seconds=info["s"], peak_mib=info["kib"] / 1024, output=info["out"])


def ingest(
    url: str, files: list[Path], env: dict[str, str], refresh: bool = False
) -> tuple[Run, dict]:
    cmd = [sys.executable, "-m", "etl.cli", "ingest", *map(str, files), "--json"]
    if not refresh:
        cmd.append("--no-refresh")
    run = measured([*cmd, "--database-url", url], env)
    return run, json.loads(run.output)


def sqlite_floor(csv_path: Path, workdir: Path) -> float:
    db = workdir / "floor.db"
    db.unlink(missing_ok=True)
    run = measured(["sqlite3", str(db), f".import --csv {csv_path} bare"])
    db.unlink(missing_ok=True)
    return run.seconds


def postgres_floor(url: str, csv_path: Path) -> float:
    columns = ", ".join(f"{c} text" for c in CHECKIN_COLUMNS)
    subprocess.run(
        ["psql", url, "-qc", f"DROP TABLE IF EXISTS bare; CREATE TABLE bare ({columns})"],
        check=True,
        capture_output=True,
    )
    run = measured(["psql", url, "-qc", f"\\copy bare FROM '{csv_path}' CSV HEADER"])
    subprocess.run(["psql", url, "-qc", "DROP TABLE bare"], check=True, capture_output=True)
    return run.seconds


# --------------------------------------------------------------------------- databases


def _fresh_sqlite(workdir: Path) -> str:
    db = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{db}"


class _PgDatabase:
    def __init__(self, admin_url: str) -> None:
        from etl.db import make_engine

        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"caseload_bench_{uuid.uuid4().hex[:10]}"

    def __enter__(self) -> str:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        url = self.admin.url.set(database=self.name, drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def _migrate(url: str) -> None:
    from etl.db import make_engine
    from etl.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _load(url: str, paths: dict[str, Path], env: dict[str, str], refresh: bool):
    _migrate(url)
    roster = [paths["programs"], paths["staff"], paths["clients"]]
    roster_run, _ = ingest(url, roster, env)
    run, report = ingest(url, [paths["checkins"]], env, refresh=refresh)
    return roster_run, run, report


def bench_backend(
    name: str,
    urls: tuple[str, str],
    paths: dict[str, Path],
    rows: int,
    floor_s: float,
    env: dict[str, str],
    refresh_run: bool = True,
) -> dict:
    """Time the load alone in ``urls[0]`` and the ingest with its refresh in ``urls[1]``."""
    roster_run, run, report = _load(urls[0], paths, env, refresh=False)
    refreshed = _load(urls[1], paths, env, refresh=True)[1] if refresh_run else None
    nan = float("nan")
    checkins = report["files"][0]
    if checkins["status"] != "loaded" or checkins["inserted"] != rows:
        raise RuntimeError(f"{name}: check-in load did not insert every row: {checkins}")
    file_s = checkins["seconds"]
    return {
        "backend": name,
        "rows": rows,
        "load_s": file_s,
        "command_s": run.seconds,
        "rows_per_s": rows / file_s,
        "peak_mib": run.peak_mib,
        "floor_s": floor_s,
        "floor_rows_per_s": rows / floor_s,
        "ratio": file_s / floor_s,
        "command_ratio": run.seconds / floor_s,
        "roster_s": roster_run.seconds,
        "refresh_command_s": refreshed.seconds if refreshed else nan,
        "refresh_command_ratio": refreshed.seconds / floor_s if refreshed else nan,
        "refresh_peak_mib": refreshed.peak_mib if refreshed else nan,
    }


def _print(results: list[dict]) -> None:
    head = (
        f"{'backend':<11}{'rows':>10}{'load s':>9}{'rows/s':>11}{'cmd s':>8}{'peak MiB':>10}"
        f"{'floor s':>9}{'floor rows/s':>14}{'ratio':>7}{'cmd ratio':>11}"
        f"{'refresh cmd s':>15}{'ratio':>7}{'peak MiB':>10}"
    )
    print(head)
    for r in results:
        print(
            f"{r['backend']:<11}{r['rows']:>10,}{r['load_s']:>9.2f}{r['rows_per_s']:>11,.0f}"
            f"{r['command_s']:>8.2f}{r['peak_mib']:>10.0f}{r['floor_s']:>9.2f}"
            f"{r['floor_rows_per_s']:>14,.0f}{r['ratio']:>7.2f}{r['command_ratio']:>11.2f}"
            f"{r['refresh_command_s']:>15.2f}{r['refresh_command_ratio']:>7.2f}"
            f"{r['refresh_peak_mib']:>10.0f}"
        )
    print(
        f"goal: ratio <= {GOAL_RATIO} and peak < {GOAL_PEAK_MIB} MiB. 'load s' is the file's load "
        "as recorded by the ingest (--no-refresh); 'cmd s' adds interpreter start-up and imports; "
        "'refresh cmd s' is the whole ingest command with its risk refresh, in a fresh database."
    )
    for r in results:
        met = r["ratio"] <= GOAL_RATIO and r["peak_mib"] < GOAL_PEAK_MIB
        print(
            f"  {r['backend']}: {'met' if met else 'NOT met'} "
            f"(ratio {r['ratio']:.2f}, peak {r['peak_mib']:.0f} MiB)"
        )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_ingest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--clients", type=int, default=None, help="roster size (default: rows / 200)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CASELOAD_BENCH_POSTGRES_URL")
        or os.environ.get("CASELOAD_TEST_POSTGRES_URL"),
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument(
        "--skip-refresh-run",
        action="store_true",
        help="do not time the second ingest, the one with its risk refresh",
    )
    args = parser.parse_args(argv)
    clients = args.clients or max(50, args.rows // 200)
    began = time.perf_counter()
    paths = generate(args.out, args.rows, clients)
    print(
        f"data: {args.rows:,} check-ins of {clients:,} clients "
        f"({paths['checkins'].stat().st_size / 2**20:.0f} MiB) ready in "
        f"{time.perf_counter() - began:.1f}s"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    )
    results = []
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with tempfile.TemporaryDirectory(prefix="caseload-bench-") as tmp:
        work = Path(tmp)
        if "sqlite" in backends:
            if not shutil.which("sqlite3"):
                print("sqlite: skipped (no sqlite3 shell for the floor)")
            else:
                floor = sqlite_floor(paths["checkins"], work)
                urls = (_fresh_sqlite(work), _fresh_sqlite(work / "refresh"))
                again = not args.skip_refresh_run
                results.append(bench_backend("sqlite", urls, paths, args.rows, floor, env, again))
        if "postgresql" in backends:
            if not args.pg_url or not shutil.which("psql"):
                print("postgresql: skipped (give --pg-url and install psql)")
            else:
                with _PgDatabase(args.pg_url) as url, _PgDatabase(args.pg_url) as again:
                    floor = postgres_floor(url, paths["checkins"])
                    urls = (url, again)
                    again = not args.skip_refresh_run
                    results.append(
                        bench_backend("postgresql", urls, paths, args.rows, floor, env, again)
                    )
    _print(results)
    if args.json:
        print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()

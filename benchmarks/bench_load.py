"""Load test: a hundred staff doing their morning against gunicorn on a PostgreSQL warehouse.

Builds (or reuses, by size) a PostgreSQL warehouse with ``bench_dashboard.build_warehouse``,
adds the staff logins through ``dashboard.commands.users.create_user`` (``--users`` split
80/15/5 into counselors, supervisors and admins) and a month of load history, starts gunicorn
(``--workers``, default 4) on 127.0.0.1 and runs locust headless for ``--run-time`` with the
morning of ``benchmarks/morning.py``: sign in, Today, 3-5 clients, Missed, Sleep & stress,
Today again and a logged contact; supervisors then Outcomes; admins the loads page.

Reported per page visit (PAGE: routing plus the page's callbacks, in sequence) and per request
(each callback, the sign-in requests): requests/s, p50/p95/p99 and failures, as a table and as
``benchmarks/out/bench_load_<clients>x<days>.csv``; and what limited it, sampled during the run:
CPU seconds of the gunicorn workers, of the warehouse's PostgreSQL backends, of locust and of
everything else on the machine, the backends' wait events (``pg_stat_activity``), and where
one worker spent its time (``py-spy record``). Goal: no failures, every callback p95 under
300 ms (the sign-in POST may take its Argon2 time).

    python -m benchmarks.bench_load --clients 2000 --days 90 --run-time 2m   # moderate
    python -m benchmarks.bench_load                                          # goal size
    CASELOAD_BENCH_POSTGRES_URL=postgresql://postgres:postgres@127.0.0.1:5432/postgres \\
        python -m benchmarks.bench_load ...

The warehouse ``caseload_bench_<clients>x<days>_c150`` is the one ``bench_dashboard --keep``
builds and keeps; it is kept for the next run (``--rebuild`` drops it first, ``--drop`` after).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import Engine, insert, text

from benchmarks.bench_dashboard import (
    AS_OF,
    CASELOAD,
    PASSWORD,
    PG_ENV,
    build_warehouse,
    kept_warehouse,
)
from etl.db import make_engine
from etl.models import Base

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
BIN = Path(sys.executable).parent
ROLE_SHARE = (("counselor", 0.80), ("supervisor", 0.15), ("admin", 0.05))
GOAL_MS = 300
SIGN_IN = "POST /login (Argon2)"


def log(message: str) -> None:
    print(message, flush=True)


# ----------------------------------------------------------------------------- the warehouse


def _logins(users: int) -> list[tuple[str, str]]:
    counts = {role: int(round(users * share)) for role, share in ROLE_SHARE}
    counts["counselor"] += users - sum(counts.values())
    return [(f"load.{role}.{i:03d}", role) for role, _ in ROLE_SHARE for i in range(counts[role])]


def _has_logins(engine: Engine, logins: list[tuple[str, str]]) -> bool:
    with engine.connect() as conn:
        names = set(
            conn.execute(text("SELECT username FROM app_user WHERE username LIKE 'load.%'"))
            .scalars()
            .all()
        )
    return names == {u for u, _ in logins}


def _add_logins(engine: Engine, logins: list[tuple[str, str]]) -> None:
    """Through the users commands, as an administrator would (Argon2 hashes and all). Several
    logins may share one staff record when the warehouse has fewer counselors than logins."""
    from dashboard.commands.users import create_user

    with engine.begin() as conn:
        staff = conn.execute(text("SELECT staff_id FROM dim_staff ORDER BY staff_key")).scalars()
        staff = list(staff)
        programs = list(
            conn.execute(text("SELECT program_id FROM dim_program ORDER BY program_key")).scalars()
        )
        conn.execute(text("DELETE FROM app_user WHERE username LIKE 'load.%'"))
        seen = collections.Counter()
        for username, role in logins:
            i = seen[role]
            seen[role] += 1
            binding = {
                "counselor": {"staff_id": staff[i % len(staff)]},
                "supervisor": {"program_id": programs[i % len(programs)]},
                "admin": {},
            }[role]
            create_user(conn, username=username, role=role, password=PASSWORD, **binding)


def _add_load_history(engine: Engine, days: int = 30) -> None:
    """A month of nightly loads, the last one this morning: the loads page has rows to list and
    the header no stale-data banner."""
    from etl.models import EtlLoad

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "path": f"drop/{(now - dt.timedelta(days=d)):%Y-%m-%d}/{kind}.csv",
            "kind": kind,
            "started_at": now - dt.timedelta(days=d, minutes=5),
            "finished_at": now - dt.timedelta(days=d),
            "status": "loaded",
            "rows_read": 1000,
            "rows_inserted": 1000,
        }
        for d in range(days, -1, -1)
        for kind in ("programs", "staff", "clients", "checkins", "drug_screens")
    ]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM etl_load"))
        conn.execute(insert(EtlLoad), rows)


def warehouse(admin_url: str, clients: int, days: int, logins, rebuild: bool) -> str:
    """The same kept warehouse as ``bench_dashboard --keep`` (built once for both), plus the
    load test's logins and load history."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"caseload_bench_{clients}x{days}_c{CASELOAD}"
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists and rebuild:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url)
    try:
        if kept_warehouse(engine, log):
            log(f"  reusing warehouse {name}")
        else:
            began = time.perf_counter()
            log(f"  building warehouse {name}: {clients:,} clients x {days} days")
            Base.metadata.drop_all(engine)  # a build that did not finish
            build_warehouse(engine, clients, days, CASELOAD, log)
            log(f"  built in {time.perf_counter() - began:.0f} s")
        if not _has_logins(engine, logins):
            _add_logins(engine, logins)
            log(f"  {len(logins)} logins added")
        _add_load_history(engine)
    finally:
        engine.dispose()
    return url


def drop(admin_url: str, url: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = make_engine(url).url.database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# ----------------------------------------------------------------------------- repeated reads


def _sample(logins: list[tuple[str, str]], n: int) -> list[tuple[str, str]]:
    """The first ``n`` counselors (distinct staff records while the warehouse has enough), two
    supervisors and an admin."""
    by_role = collections.defaultdict(list)
    for username, role in logins:
        by_role[role].append((username, role))
    return by_role["counselor"][:n] + by_role["supervisor"][:2] + by_role["admin"][:1]


def measure_repeats(url: str, logins: list[tuple[str, str]], n: int) -> list[dict]:
    """Would a cache help? One morning per sampled user, one after the other, in-process (Flask
    test client: server time only, no queueing), each read callback keyed by what a cache would
    key it by: the caller's scope and the inputs (the data do not change meanwhile; the
    freshness header's rows depend on the program only, so its key is the program). A call
    whose key was seen before is one a perfect cache would have answered for free."""
    import random

    from benchmarks.morning import FlaskHttp, Morning
    from dashboard import create_app
    from dashboard.config import Config

    app = create_app(
        Config(
            secret_key=secrets.token_urlsafe(48),
            database_url=url,
            today=(AS_OF + dt.timedelta(days=1)).isoformat(),
        )
    )
    engine = app.extensions["caseload_db"]
    with engine.connect() as conn:
        scopes = {
            r.username: (r.role, r.staff_key, r.program_key)
            for r in conn.execute(
                text("SELECT username, role, staff_key, program_key FROM app_user")
            )
        }
        program_of = dict(conn.execute(text("SELECT staff_key, program_key FROM dim_staff")).all())
    seen: set = set()
    stats: dict[str, dict] = {}
    for i, (username, role) in enumerate(_sample(logins, n)):
        http = FlaskHttp(app.test_client())
        morning = Morning(http, username, PASSWORD, role, rng=random.Random(i))
        morning.sign_in()
        morning.work()
        r, staff_key, program_key = scopes[username]
        program = program_key or program_of.get(staff_key)
        for sent in http.sent:
            if sent.payload is None or "(command)" in sent.name:
                continue
            inputs = json.dumps([sent.payload.get("inputs"), sent.payload.get("state")])
            if sent.name == "shell: freshness":
                key = (sent.name, "all" if r == "admin" else program)
            else:
                key = (sent.name, r, staff_key, program, inputs)
            row = stats.setdefault(sent.name, {"calls": 0, "ms": 0.0, "repeated_ms": []})
            row["calls"] += 1
            row["ms"] += sent.seconds * 1000
            if key in seen:
                row["repeated_ms"].append(sent.seconds * 1000)
            seen.add(key)
    engine.dispose()
    # A hit still pays what a callback that reads nothing costs (session, dispatch, JSON).
    floor = min(v["ms"] / v["calls"] for v in stats.values())
    rows = [
        {
            "callback": k,
            "calls": v["calls"],
            "ms": v["ms"],
            "repeats": len(v["repeated_ms"]),
            "saved": sum(max(0.0, ms - floor) for ms in v["repeated_ms"]),
            "floor": floor,
        }
        for k, v in stats.items()
    ]
    return sorted(rows, key=lambda r: -r["saved"])


def print_repeats(rows: list[dict], users: int) -> None:
    total = sum(r["ms"] for r in rows) or 1
    saved = sum(r["saved"] for r in rows)
    log(f"\n  Repeated reads: {users} mornings in-process, one request at a time (server time):")
    log(f"    {'callback':<38}{'calls':>6}{'mean ms':>9}{'repeats':>9}{'saved ms':>10}{'share':>7}")
    for r in rows[:12]:
        log(
            f"    {r['callback'][:37]:<38}{r['calls']:>6}{r['ms'] / r['calls']:>9.1f}"
            f"{r['repeats']:>9}{r['saved']:>10.0f}{100 * r['saved'] / total:>6.1f}%"
        )
    log(
        f"    a perfect cache (hits at the {rows[0]['floor']:.0f} ms floor of a callback that reads"
        f" nothing, never stale) would save {saved:.0f} of {total:.0f} ms of callback time:"
        f" {100 * saved / total:.1f} %"
    )


# ----------------------------------------------------------------------------- gunicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, port: int, logdir: Path) -> subprocess.Popen:
    """The documented production command, with the environment it needs."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CASELOAD_AUDIT_KEY": secrets.token_urlsafe(48),
        "CASELOAD_ENV": "production",
        "CASELOAD_HTTPS": "0",  # plain HTTP on the loopback: no TLS proxy in front here
        "CASELOAD_TODAY": (AS_OF + dt.timedelta(days=1)).isoformat(),
    }
    command = [
        str(BIN / "gunicorn"),
        "dashboard.wsgi:app",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--error-logfile",
        str(logdir / "gunicorn.log"),
    ]
    process = subprocess.Popen(command, cwd=REPO, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}): see {logdir}/gunicorn.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                if r.status == 200 and len(_workers(process)) == workers:
                    return process
        except OSError:
            pass
        time.sleep(1)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 180 s")


def _workers(master: subprocess.Popen) -> list:
    import psutil

    return psutil.Process(master.pid).children()


# ----------------------------------------------------------------------------- sampling


class Sampler:
    """What the machine did during the run: CPU seconds by party, the warehouse's backends'
    wait events, the load average."""

    def __init__(self, url: str, worker_pids: list[int], every: float = 2.0) -> None:
        import psutil

        self.psutil = psutil
        self.engine = make_engine(url, pool_size=1)
        self.db = self.engine.url.database
        self.workers = worker_pids
        self.every = every
        self.waits: collections.Counter = collections.Counter()
        self.samples = 0
        self.loadavg: list[tuple[float, float, float]] = []
        self.backend_cpu: dict[int, float] = {}
        self.backend_start: dict[int, float] = {}
        self.stop = threading.Event()
        self.locust_pid: int | None = None
        self.locust_cpu = 0.0

    def _cpu(self, pid: int) -> float | None:
        try:
            t = self.psutil.Process(pid).cpu_times()
            return t.user + t.system
        except self.psutil.Error:
            return None

    def _queued(self) -> float:
        """Seconds the workers' threads spent runnable but waiting for a core (schedstat)."""
        total = 0
        for pid in self.workers:
            for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
                with contextlib.suppress(OSError, IndexError, ValueError):
                    total += int(stat.read_text().split()[1])
        return total / 1e9

    def begin(self) -> None:
        self.t0 = time.monotonic()
        self.queued0 = self._queued()
        self.machine0 = self.psutil.cpu_times()
        self.worker0 = {p: self._cpu(p) or 0.0 for p in self.workers}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        query = text(
            "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity"
            " WHERE datname = :db AND pid <> pg_backend_pid()"
        )
        while not self.stop.wait(self.every):
            self.loadavg.append(os.getloadavg())
            if self.locust_pid:
                self.locust_cpu = self._cpu(self.locust_pid) or self.locust_cpu
            with self.engine.connect() as conn:
                rows = conn.execute(query, {"db": self.db}).all()
            self.samples += 1
            for r in rows:
                cpu = self._cpu(r.pid)
                if cpu is not None:
                    self.backend_start.setdefault(r.pid, cpu)
                    self.backend_cpu[r.pid] = cpu
                if r.state == "active":
                    wait = f"{r.wait_event_type}:{r.wait_event}" if r.wait_event else "on CPU"
                    self.waits[wait] += 1

    def end(self) -> dict:
        self.stop.set()
        self.thread.join()
        wall = time.monotonic() - self.t0
        machine1 = self.psutil.cpu_times()
        busy = lambda t: t.user + t.nice + t.system + t.irq + t.softirq  # noqa: E731
        machine = busy(machine1) - busy(self.machine0)
        workers = sum((self._cpu(p) or self.worker0[p]) - self.worker0[p] for p in self.workers)
        backends = sum(self.backend_cpu[p] - self.backend_start[p] for p in self.backend_cpu)
        queued = self._queued() - self.queued0
        self.engine.dispose()
        return {
            "wall": wall,
            "cores": self.psutil.cpu_count(),
            "machine": machine,
            "workers": workers,
            "backends": backends,
            "queued": queued,
            "locust": self.locust_cpu,
            "waits": {k: v / max(1, self.samples) for k, v in self.waits.most_common()},
            "loadavg": self.loadavg,
        }


def py_spy(pid: int, seconds: int, path: Path) -> subprocess.Popen | None:
    """Sample one worker (``--idle``: time waiting on the database counts too)."""
    exe = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if exe is None:
        log("  (py-spy not installed: no profile; pip install -e '.[bench]')")
        return None
    return subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50"]
        + ["--idle", "--nonblocking", "--format", "raw", "--output", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


LIBRARIES = (
    ("/pandas/", "CPU: pandas"),
    ("/plotly/", "CPU: plotly figures"),
    ("/sqlalchemy/", "CPU: SQLAlchemy"),
    ("/psycopg/", "CPU: psycopg"),
    ("/dash/", "CPU: Dash (callback dispatch, JSON)"),
    ("/dash_ag_grid/", "CPU: Dash (callback dispatch, JSON)"),
    ("/flask", "CPU: Flask, Werkzeug, login, CSRF"),
    ("/werkzeug/", "CPU: Flask, Werkzeug, login, CSRF"),
    ("/itsdangerous/", "CPU: Flask, Werkzeug, login, CSRF"),
    ("/numpy/", "CPU: numpy"),
    ("/json/", "CPU: JSON"),
    ("/dashboard/", "CPU: Caseload code"),
    ("/etl/", "CPU: Caseload code"),
)


def _where(stack: list[str]) -> str | None:
    """What a sampled stack was doing (None: the audit thread idling, not part of a request).
    CPU goes to the innermost frame of a known library or of Caseload's own code."""
    joined = ";".join(stack)
    leaf = stack[-1] if stack else ""
    if "audit_queue.py" in joined and "_run (" in joined:
        return "audit append (its own thread)" if "append_rows" in joined else None
    if "argon2" in joined:
        return "Argon2 (sign-in)"
    if "handle (" not in joined and "workers/sync.py" in joined:
        return "idle: waiting for a request"
    if "psycopg" in leaf or "waiting.py" in leaf:
        if "audit" in joined:
            return "waiting on PostgreSQL: audit append"
        if "commands/" in joined:
            return "waiting on PostgreSQL: a command"
        return "waiting on PostgreSQL: reads"
    if "audit_queue.py" in joined and ("wait (" in leaf or "result (" in leaf):
        return "waiting for the audit append (queue)"
    for frame in reversed(stack):
        for key, label in LIBRARIES:
            if key in frame:
                return label
    return "CPU: other"


def profile_summary(path: Path) -> list[tuple[str, float]]:
    if not path.exists():
        return []
    spent: collections.Counter = collections.Counter()
    callbacks: collections.Counter = collections.Counter()
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        stack = frames.split(";")
        where = _where(stack)
        if where is None:
            continue
        spent[where] += int(count)
        page = next((f for f in stack if "dashboard/pages/" in f or "freshness_banner" in f), None)
        if page and not where.startswith("idle"):
            function, _, where_in = page.partition(" (")
            callbacks[f"{function} ({where_in.split('/')[-1].split(':')[0]})"] += int(count)
    total = sum(spent.values()) or 1
    out = [(k, 100 * v / total) for k, v in spent.most_common()]
    busy = sum(v for k, v in spent.items() if not k.startswith("idle")) or 1
    out += [(f"  in {k}", 100 * v / busy) for k, v in callbacks.most_common(6)]
    return out


# ----------------------------------------------------------------------------- reporting


def _kind(row: dict) -> str:
    if row["Type"] == "PAGE":
        return "page"
    if row["Name"] == SIGN_IN:
        return "sign-in"
    return "callback" if row["Type"] == "POST" else "request"


def read_stats(prefix: Path) -> list[dict]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                continue
            kind = _kind(row)
            p95 = float(row["95%"]) if row["95%"] not in ("N/A", "") else float("nan")
            rows.append(
                {
                    "kind": kind,
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50_ms": float(row["50%"]) if row["50%"] != "N/A" else float("nan"),
                    "p95_ms": p95,
                    "p99_ms": float(row["99%"]) if row["99%"] != "N/A" else float("nan"),
                    "goal": (
                        ("ok" if p95 < GOAL_MS and not int(row["Failure Count"]) else "missed")
                        if kind == "callback"
                        else ""
                    ),
                }
            )
    order = {"page": 0, "sign-in": 1, "request": 2, "callback": 3}
    rows.sort(key=lambda r: (order[r["kind"]], -r["p95_ms"]))
    return rows


def print_table(rows: list[dict]) -> None:
    log(
        f"  {'kind':<9}{'name':<38}{'requests':>9}{'fail':>6}{'req/s':>8}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  goal"
    )
    for r in rows:
        log(
            f"  {r['kind']:<9}{r['name'][:37]:<38}{r['requests']:>9}{r['failures']:>6}"
            f"{r['rps']:>8.2f}{r['p50_ms']:>8.0f}{r['p95_ms']:>8.0f}{r['p99_ms']:>8.0f}"
            f"  {r['goal']}"
        )


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def print_failures(prefix: Path) -> int:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return 0
    with open(path, newline="") as f:
        failures = list(csv.DictReader(f))
    for row in failures[:10]:
        log(f"  failure x{row['Occurrences']}: {row['Name']}: {row['Error'][:120]}")
    return sum(int(r["Occurrences"]) for r in failures)


def print_limits(usage: dict, profile: list[tuple[str, float]], rows: list[dict]) -> None:
    wall, cores = usage["wall"], usage["cores"]
    served = sum(r["requests"] for r in rows if r["kind"] != "page")
    share = lambda s: f"{s:7.0f} CPU-s = {s / wall:4.2f} of {cores} cores"  # noqa: E731
    log(f"\n  What it ran on ({wall:.0f} s sampled):")
    la = usage["loadavg"]
    if la:
        log(
            f"    load average (1 min) during the run: min {min(x[0] for x in la):.1f}, "
            f"max {max(x[0] for x in la):.1f}, on {cores} cores"
        )
    log(f"    whole machine   {share(usage['machine'])}")
    log(f"    gunicorn workers{share(usage['workers'])}")
    log(f"    PostgreSQL backends {share(usage['backends'])}  (this warehouse's)")
    log(f"    locust          {share(usage['locust'])}")
    other = usage["machine"] - usage["workers"] - usage["backends"] - usage["locust"]
    log(f"    everything else {share(other)}  (other work on the machine)")
    log(
        f"    gunicorn workers waited {usage['queued']:.0f} s for a core (runnable, not running:"
        f" /proc/*/schedstat), against {usage['workers']:.0f} CPU-s run"
    )
    if served:
        log(
            f"    {served} requests served: {1000 * usage['workers'] / served:.0f} ms of worker CPU"
            f" and {1000 * usage['backends'] / served:.0f} ms of PostgreSQL CPU each, on average"
        )
    log("    active backends by wait event (mean over samples):")
    for wait, n in usage["waits"].items():
        log(f"      {wait:<40}{n:5.2f}")
    if profile:
        log("  One worker, py-spy (share of samples; 'in ...': share of the busy samples):")
        for label, pct in profile:
            log(f"    {label:<58}{pct:5.1f} %")


# ----------------------------------------------------------------------------- driver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--run-time", default="5m", help="locust's --run-time (e.g. 2m, 90s)")
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second")
    parser.add_argument("--think", default="2,6", help="seconds between page visits: lo,hi")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--profile-seconds", type=int, default=30)
    parser.add_argument(
        "--repeats", type=int, default=8, help="counselors sampled for the cache check (0: skip)"
    )
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the warehouse")
    parser.add_argument("--drop", action="store_true", help="drop the warehouse afterwards")
    args = parser.parse_args(argv)
    admin_url = next((os.environ[v] for v in PG_ENV if os.environ.get(v)), None)
    if admin_url is None:
        log("skipped: set CASELOAD_BENCH_POSTGRES_URL to a PostgreSQL admin URL")
        return 0
    if shutil.which("locust", path=str(BIN)) is None:
        log("skipped: locust is not installed (pip install -e '.[bench]', or make bench)")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    size = f"{args.clients}x{args.days}"
    logins = _logins(args.users)
    log(
        f"\n== load test: {args.clients:,} clients x {args.days} days, {len(logins)} users "
        f"({', '.join(f'{sum(r == role for _, r in logins)} {role}s' for role, _ in ROLE_SHARE)}),"
        f" gunicorn x{args.workers}, {args.run_time}, think {args.think} s"
    )
    log(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    url = warehouse(admin_url, args.clients, args.days, logins, args.rebuild)
    if args.repeats:
        sample = _sample(logins, args.repeats)
        print_repeats(measure_repeats(url, logins, args.repeats), len(sample))
    port = _free_port()
    gunicorn = start_gunicorn(url, args.workers, port, OUT)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump([{"username": u, "role": r} for u, r in logins], f)
            logins_file = f.name
        prefix = OUT / f"load_{size}"
        workers = [p.pid for p in _workers(gunicorn)]
        sampler = Sampler(url, workers)
        env = {
            **os.environ,
            "CASELOAD_LOAD_LOGINS": logins_file,
            "CASELOAD_LOAD_PASSWORD": PASSWORD,
            "CASELOAD_LOAD_THINK": args.think,
        }
        command = [str(BIN / "locust"), "-f", str(REPO / "benchmarks" / "locustfile.py")]
        command += ["--headless", "--only-summary", "-u", str(len(logins))]
        command += ["-r", str(args.spawn_rate), "-t", args.run_time, "--stop-timeout", "10"]
        command += ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix)]
        log(f"  locust: {' '.join(command[1:])}")
        began = time.monotonic()
        sampler.begin()
        with open(OUT / f"locust_{size}.log", "w") as locust_log:
            locust = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=locust_log, stderr=locust_log
            )
            sampler.locust_pid = locust.pid
            # Profile one worker once every user has started and signed in.
            ramp = len(logins) / args.spawn_rate + 10
            spy = None
            profile_path = OUT / f"pyspy_{size}.txt"
            profile_path.unlink(missing_ok=True)
            try:
                locust.wait(timeout=ramp)
            except subprocess.TimeoutExpired:
                spy = py_spy(workers[0], args.profile_seconds, profile_path)
            locust.wait()
            if spy is not None:
                spy.wait(timeout=args.profile_seconds + 30)
        usage = sampler.end()
        log(f"  locust ran {time.monotonic() - began:.0f} s (exit {locust.returncode})")
        os.unlink(logins_file)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    rows = read_stats(prefix)
    print_table(rows)
    out_csv = OUT / f"bench_load_{size}.csv"
    write_csv(rows, out_csv)
    failures = print_failures(prefix)
    print_limits(usage, profile_summary(profile_path), rows)
    slow = [r["name"] for r in rows if r["goal"] == "missed"]
    log(
        f"\n  goal (0 failures, every callback p95 < {GOAL_MS} ms): "
        + ("met" if not failures and not slow else f"missed: {failures} failures, slow: {slow}")
    )
    log(f"  table: {out_csv.relative_to(REPO)}; locust log and CSVs: {OUT.relative_to(REPO)}/")
    if args.drop:
        drop(admin_url, url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

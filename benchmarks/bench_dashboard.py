"""Server time of the dashboard's data callbacks on a year of data, against the bare SQL.

Builds a warehouse of ``--clients`` clients x ``--days`` days (default 20,000 x 365) in bulk,
on SQLite and/or PostgreSQL, then times through the real app (Flask test client, signed in as
a counselor with a ``--caseload``-client caseload, CSRF header and all):

* the Today data callback (``today-grid.rowData``: ranked caseload, cards, sparklines);
* the client page callback (header and every figure) for ``--calls`` different clients;
* the Missed check-ins data callback (cards, ranked table, 28-day heat map, weekly trend);
* the Sleep & stress data callback (ranking, scatter, distributions, weekly trend);
* the Outcomes callbacks, signed in as the first program's supervisor (~1,000 clients): the
  figures for 90 days and for a year (each with its previous period), the counselor picker and
  the alert-budget slider (after one model-check run, timed once and reported apart);

and, as the baseline measured in the same run, the bare SQL those callbacks issue: every
statement one callback sent (the session check, the reads, the audit-log append) captured
from the engine and replayed on the raw DB-API connection, in a transaction rolled back each
time. Reported: median and p95 of ``--calls`` calls, and the ratio callback / bare SQL.
Goals: Today and Client p95 under 50 ms and within 3x of the bare SQL; Missed and Sleep &
stress p95 under 100 ms; Outcomes data callbacks p95 under 300 ms for 90 days and under 500 ms
for a year.

    python -m benchmarks.bench_dashboard --clients 2000 --days 90 --calls 20   # quick
    python -m benchmarks.bench_dashboard                                        # full size
    python -m benchmarks.bench_dashboard --keep --only Missed   # reuse the kept warehouse
    CASELOAD_BENCH_POSTGRES_URL=postgresql://postgres:postgres@127.0.0.1:5432/postgres \\
        python -m benchmarks.bench_dashboard --backend all
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, event, inspect, text

from etl import marts
from etl.db import make_engine
from etl.models import Base
from etl.risk.client_day import rolling_sum
from etl.risk.config import default_config
from etl.risk.features import signal_stats

AS_OF = dt.date(2026, 11, 26)
PASSWORD = "bench-password-123"
PG_ENV = ("CASELOAD_BENCH_POSTGRES_URL", "CASELOAD_TEST_POSTGRES_URL")
TRIGGERS = ("people", "places", "music", "routines", "emotions", "other")
SIGNALS = ("craving", "stress", "mood", "sleep_hours", "sleep_quality")
RISK_CONFIG = default_config()
NOW = dt.datetime(2026, 11, 27, 6, 0)
CASELOAD = 150  # the measured counselor's; every other counselor has ~100
PLANNER = {"random_page_cost": "1.1", "effective_cache_size": "12GB"}


# ----------------------------------------------------------------------------- bulk data


def _rows_for_batch(rng: np.random.Generator, keys: np.ndarray, ids: list[str], days: int):
    """Client-day, risk and check-in rows for a batch of clients, vectorised over days."""
    n = len(keys)
    start = AS_OF - dt.timedelta(days=days - 1)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    walk = lambda lo, hi, s: np.clip(  # noqa: E731
        rng.uniform(lo, hi, (n, 1)) + np.cumsum(rng.normal(0, s, (n, days)), axis=1) * 0.3, 0, 10
    )
    craving, stress, mood = walk(0, 5, 0.8), walk(1, 6, 0.8), walk(4, 9, 0.7)
    sleep = np.clip(7 + np.cumsum(rng.normal(0, 0.5, (n, days)), axis=1) * 0.2, 3, 11)
    miss_p = rng.uniform(0.03, 0.4, (n, 1))
    received = rng.random((n, days)) > miss_p
    streak = np.zeros((n, days), dtype=np.int16)
    since = np.full((n, days), -1, dtype=np.int32)  # days since the last check-in (-1: none)
    for d in range(days):
        prev = streak[:, d - 1] if d else 0
        streak[:, d] = np.where(received[:, d], 0, prev + 1)
        before = since[:, d - 1] if d else np.full(n, -1)
        since[:, d] = np.where(received[:, d], 0, np.where(before >= 0, before + 1, -1))
    used = received & (rng.random((n, days)) < 0.02)
    score = np.clip(
        5
        + 3 * craving
        + 2.5 * stress
        + 2 * (10 - mood)
        + 5 * np.maximum(0, 6 - sleep)
        + 8 * np.minimum(streak, 5)
        + 25 * used
        - 30,
        0,
        100,
    ).round(1)
    tiers_cfg = RISK_CONFIG.tiers
    tier_idx = np.digitize(score, [tiers_cfg.moderate, tiers_cfg.high, tiers_cfg.critical])
    tiers = np.array(["low", "moderate", "high", "critical"])[tier_idx]
    change = np.concatenate([np.full((n, 1), np.nan), np.diff(score, axis=1)], axis=1)
    newly = (tier_idx >= 2) & np.concatenate([np.zeros((n, 1), bool), tier_idx[:, :-1] < 2], axis=1)
    trig = rng.random((n, days, len(TRIGGERS))) < 0.12
    # Personal baselines as the risk engine stores them, from the engine's own feature code.
    answers = {
        "craving": np.round(craving),
        "stress": np.round(stress),
        "mood": np.round(mood),
        "sleep_hours": np.round(sleep, 1),
        "sleep_quality": np.clip(np.round(sleep - 3), 1, 5),
    }
    stats = {
        name: signal_stats(np.where(received, values, np.nan), RISK_CONFIG)
        for name, values in answers.items()
    }
    cue_days = rolling_sum((trig.any(axis=2) & received).astype(np.float64), 7).astype(int)
    day_rows, risk_rows, checkin_rows = [], [], []
    for i in range(n):
        key, cid = int(keys[i]), ids[i]
        for d in range(days):
            got = bool(received[i, d])
            vals = (
                float(round(craving[i, d])),
                float(round(stress[i, d])),
                float(round(mood[i, d])),
                float(round(sleep[i, d], 1)),
                float(min(5, max(1, round(sleep[i, d] - 3)))),
            )
            day_rows.append(
                (
                    key,
                    dates[d],
                    True,
                    got,
                    int(got),
                    *(vals if got else (None,) * 5),
                    bool(used[i, d]),
                    False,
                    int(trig[i, d].sum()) if got else 0,
                    got or None,
                    int(streak[i, d]),
                    not got,
                    int(cue_days[i, d]),
                    None if since[i, d] < 0 else int(since[i, d]),
                    *(
                        None if np.isnan(v) else float(v)
                        for st in stats.values()
                        for v in (st.baseline[i, d], st.sd[i, d])
                    ),
                )
            )
            s = float(score[i, d])
            reasons = "[]"
            if s >= 30:
                reasons = json.dumps(
                    [
                        {
                            "code": "stress",
                            "signal": "stress",
                            "text": f"stress {vals[1]:.0f}/10, above own baseline",
                            "points": 12.0,
                        },
                        {
                            "code": "sleep",
                            "signal": "poor sleep",
                            "text": f"slept {vals[3]:.1f} h last night",
                            "points": 9.0,
                        },
                    ]
                )
            ch = change[i, d]
            risk_rows.append(
                (
                    key,
                    dates[d],
                    s,
                    str(tiers[i, d]),
                    None if np.isnan(ch) else float(round(ch, 1)),
                    bool(newly[i, d]),
                    reasons,
                )
            )
            if got:
                checkin_rows.append(
                    (
                        f"{cid}-{d}",
                        key,
                        dt.datetime.combine(dates[d], dt.time(23)),
                        dates[d],
                        *[int(v) for v in vals[:3]],
                        vals[3],
                        int(vals[4]),
                        bool(used[i, d]),
                        *[bool(x) for x in trig[i, d]],
                    )
                )
    return day_rows, risk_rows, checkin_rows


DAY_COLS = (
    "client_key",
    "date",
    "is_expected",
    "is_received",
    "checkin_count",
    "craving",
    "stress",
    "mood",
    "sleep_hours",
    "sleep_quality",
    "used_reported",
    "screen_positive",
    "trigger_count",
    "support_contact",
    "missed_streak",
    "is_missed",
    "cue_days_7d",
    "days_since_checkin",
    *(f"{s}_{part}" for s in SIGNALS for part in ("baseline", "sd")),
)
RISK_COLS = ("client_key", "date", "score", "tier", "score_change", "is_newly_high", "reasons")
CHECKIN_COLS = (
    "checkin_id",
    "client_key",
    "submitted_at",
    "local_date",
    "craving",
    "stress",
    "mood",
    "sleep_hours",
    "sleep_quality",
    "used_since_last",
    *(f"trigger_{t}" for t in TRIGGERS),
)


class Loader:
    """Bulk inserts: executemany in one transaction on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def load(
        self, table: str, cols: tuple[str, ...], rows: list[tuple], extra: dict[str, object]
    ) -> None:
        all_cols = cols + tuple(extra)
        tail = tuple(extra.values())
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            if self.pg:
                with cur.copy(f"COPY {table} ({', '.join(all_cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + tail)
            else:
                marks = ", ".join("?" * len(all_cols))
                cur.executemany(
                    f"INSERT INTO {table} ({', '.join(all_cols)}) VALUES ({marks})",
                    (_sqlite(row + tail) for row in rows),
                )
            raw.commit()
        finally:
            raw.close()


def _sqlite(row: tuple) -> tuple:
    return tuple(
        v.isoformat(sep=" ")
        if isinstance(v, dt.datetime)
        else v.isoformat()
        if isinstance(v, dt.date)
        else v
        for v in row
    )


def build_warehouse(
    engine: Engine, clients: int, days: int, caseload: int, log: Callable[[str], None]
) -> dict:
    """Programs of ~1,000 clients, counselors of ~100 (the first one exactly ``caseload``)."""
    from faker import Faker

    Base.metadata.create_all(engine)
    rng = np.random.default_rng(11)
    fake = Faker()
    fake.seed_instance(11)
    loader = Loader(engine)
    n_programs = max(1, clients // 1000)
    counselor_sizes = [caseload]
    while sum(counselor_sizes) < clients:
        counselor_sizes.append(min(100, clients - sum(counselor_sizes)))
    with engine.begin() as conn:
        for p in range(n_programs):
            conn.execute(
                text(
                    "INSERT INTO dim_program (program_key, program_id, name, time_zone, row_hash,"
                    " updated_at) VALUES (:k, :i, :n, 'America/New_York', 'b', :u)"
                ),
                {"k": p + 1, "i": f"P{p:03d}", "n": f"Program {p}", "u": NOW},
            )
        for s in range(len(counselor_sizes)):
            conn.execute(
                text(
                    "INSERT INTO dim_staff (staff_key, staff_id, program_key, first_name,"
                    " last_name, role, row_hash, updated_at)"
                    " VALUES (:k, :i, :p, :f, :l, 'counselor', 'b', :u)"
                ),
                {
                    "k": s + 1,
                    "i": f"S{s:05d}",
                    "p": s % n_programs + 1,
                    "f": fake.first_name(),
                    "l": fake.last_name(),
                    "u": NOW,
                },
            )
    counselor_of = np.repeat(np.arange(1, len(counselor_sizes) + 1), counselor_sizes)[:clients]
    admission = AS_OF - dt.timedelta(days=days + 30)
    client_rows = [
        (
            k + 1,
            f"C{k + 1:06d}",
            int((counselor_of[k] - 1) % n_programs + 1),
            int(counselor_of[k]),
            admission,
            "daily",
        )
        for k in range(clients)
    ]
    loader.load(
        "dim_client",
        (
            "client_key",
            "client_id",
            "program_key",
            "counselor_key",
            "admission_date",
            "checkin_schedule",
        ),
        client_rows,
        {"row_hash": "b", "updated_at": NOW},
    )
    loader.load(
        "pii_client",
        ("client_key", "first_name", "last_name"),
        [(k + 1, fake.first_name(), fake.last_name()) for k in range(clients)],
        {},
    )
    batch = 500
    began = time.perf_counter()
    for lo in range(0, clients, batch):
        keys = np.arange(lo + 1, min(clients, lo + batch) + 1)
        ids = [f"C{k:06d}" for k in keys]
        day_rows, risk_rows, checkin_rows = _rows_for_batch(rng, keys, ids, days)
        loader.load("fct_client_day", DAY_COLS, day_rows, {})
        loader.load(
            "fct_risk_score",
            RISK_COLS,
            risk_rows,
            {"rule_version": "bench", "config_hash": "b", "computed_at": NOW},
        )
        loader.load("fct_checkin", CHECKIN_COLS, checkin_rows, {"row_hash": "b", "updated_at": NOW})
        done = min(clients, lo + batch)
        if done % 5000 == 0 or done == clients:
            log(f"  loaded {done:,}/{clients:,} clients ({time.perf_counter() - began:.0f} s)")
    began = time.perf_counter()
    with engine.begin() as conn:
        marts.refresh(conn, None)  # what the risk refresh does after writing the facts
    log(f"  Outcomes marts built in {time.perf_counter() - began:.1f} s")
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        conn.execute(text("CREATE TABLE bench_built (clients INTEGER, days INTEGER)"))
    return {"counselor_key": 1, "program_key": 1}


# ----------------------------------------------------------------------------- measuring


class Capture:
    """Records every statement the engine sends while active."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object]] = []
        self.active = False
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active:
            self.statements.append((statement, parameters))


_REPLAYED_IDS = iter(range(10**12, 10**13))


def _fresh_audit_hash(statement: str, params):
    """An audit row's id and hash are unique; a replayed append needs new ones to be accepted
    (it is rolled back after, so the chain itself is never touched)."""
    if not statement.lstrip().upper().startswith("INSERT INTO APP_AUDIT_LOG"):
        return params
    fresh = {"row_hash": uuid.uuid4().hex * 2, "event_id": next(_REPLAYED_IDS)}
    if isinstance(params, dict):
        return {**params, **{k: v for k, v in fresh.items() if k in params}}
    cols = [c.strip() for c in statement.split("(", 1)[1].split(")", 1)[0].split(",")]
    values = list(params)
    for name, value in fresh.items():
        if name in cols:
            values[cols.index(name)] = value
    return tuple(values)


def replay(engine: Engine, statements: list[tuple[str, object]]) -> list[float]:
    """Seconds each captured statement takes on the raw driver (rows fetched), then roll
    back; their sum is the bare SQL of the call."""
    statements = [(s, _fresh_audit_hash(s, p)) for s, p in statements]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        seconds = []
        for statement, params in statements:
            began = time.perf_counter()
            cur.execute(statement, params)
            if cur.description is not None:
                cur.fetchall()
            seconds.append(time.perf_counter() - began)
        raw.rollback()
        return seconds
    finally:
        raw.close()


def statement_lines(statements: list[tuple[str, object]], seconds: list[list[float]]) -> list:
    """Per statement of a callback (in the order sent): median ms over the calls and its
    first line, the costliest first -- where a callback's bare SQL goes."""
    per = [statistics.median(times) * 1000 for times in zip(*seconds, strict=True)]
    heads = [" ".join(s.split())[:110] for s, _ in statements]
    return sorted(zip(per, heads, strict=True), reverse=True)


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(
    url: str,
    warehouse: dict,
    caseload: int,
    calls: int,
    only: str | None = None,
    profile: Path | None = None,
    per_statement: bool = False,
) -> list[dict]:
    """``only``: time just the callbacks whose name contains it (case-insensitive).
    ``per_statement``: also report each statement's median time (``statement_lines``).
    ``profile``: also write each callback's cProfile of the timed calls there (``.pstats``,
    and the 30 costliest functions by own time as ``.txt``): what to look at before a change."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from dash_client import (  # noqa: E402
        budget_payload,
        callback_payload,
        check_run_payload,
        dependencies,
        freshness_payload,
        login,
        outcomes_payload,
        post_callback,
    )

    from dashboard import create_app
    from dashboard.commands.users import create_user
    from dashboard.config import Config
    from dashboard.serve import freeze_heap

    engine = make_engine(url)
    with engine.begin() as conn:
        if not conn.scalar(text("SELECT 1 FROM app_user WHERE username = 'bench'")):  # kept
            create_user(
                conn, username="bench", role="counselor", password=PASSWORD, staff_id="S00000"
            )
            create_user(
                conn, username="bench-sup", role="supervisor", password=PASSWORD, program_id="P000"
            )
        client_ids = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT client_id FROM dim_client WHERE counselor_key = :k ORDER BY client_key"
                ),
                {"k": warehouse["counselor_key"]},
            )
        ]
    assert len(client_ids) == caseload, (len(client_ids), caseload)
    app = create_app(
        Config(
            secret_key="b" * 48, database_url=url, today=(AS_OF + dt.timedelta(days=1)).isoformat()
        )
    )
    freeze_heap()  # as serving does, after the app is built
    app_engine = app.extensions["caseload_db"]
    capture = Capture(app_engine)
    client = app.test_client()
    assert login(client, "bench", PASSWORD).status_code == 302
    deps = dependencies(client)
    supervisor = app.test_client()
    assert login(supervisor, "bench-sup", PASSWORD).status_code == 302
    sup_deps = dependencies(supervisor)
    quarter = (AS_OF - dt.timedelta(days=89)).isoformat(), AS_OF.isoformat()
    year = (AS_OF - dt.timedelta(days=364)).isoformat(), AS_OF.isoformat()
    wanted = lambda name: only is None or only.lower() in name.lower()  # noqa: E731
    check_seconds = None
    if wanted("Outcomes"):
        began = time.perf_counter()
        ran = post_callback(supervisor, check_run_payload(sup_deps, "P000", *quarter))
        check_seconds = time.perf_counter() - began
        assert ran.status_code == 200, ran.status_code

    def today_payload(_i: int) -> dict:
        return callback_payload(
            deps,
            "today-grid.rowData",
            {"today-counselor.value": warehouse["counselor_key"], "today-refresh.data": 0},
        )

    def client_payload(i: int, span: str) -> dict:
        return callback_payload(
            deps,
            "client-header.children",
            {"client-id.data": client_ids[i % len(client_ids)], "client-range.value": span},
        )

    def routing_payload(_i: int) -> dict:
        return callback_payload(
            deps,
            "_pages_content.children",
            {"_pages_location.pathname": "/", "_pages_location.search": ""},
        )

    def missed_payload(_i: int) -> dict:
        return callback_payload(
            deps,
            "missed-asof.children",
            {"missed-counselor.value": warehouse["counselor_key"], "missed-refresh.data": 0},
        )

    def signals_payload(_i: int) -> dict:
        return callback_payload(
            deps, "signals-asof.children", {"signals-counselor.value": warehouse["counselor_key"]}
        )

    def figures(r) -> bool:
        return len(r["response"]["outcomes-cards"]["children"]) == 10

    cases = [
        # Context, not a goal: Dash's page-routing callback reads no data, so its time is
        # the floor any callback pays (request, session check, dispatch, JSON).
        (
            "Routing callback (no data, floor)",
            routing_payload,
            lambda r: "_pages_content" in r["response"],
        ),
        (  # sent when a tab opens, then on a navigation once the copy is 5 minutes old
            "Header freshness line",
            lambda _i: freshness_payload(deps),
            lambda r: r["response"]["shell-freshness-line"]["children"].startswith("Data: "),
            client,
            50,
        ),
        (
            "Today data callback",
            today_payload,
            lambda r: len(r["response"]["today-grid"]["rowData"]) == caseload,
        ),
        (
            "Client page callback (90 days)",
            lambda i: client_payload(i, "90"),
            lambda r: r["response"]["client-charts"]["children"]["props"]["figure"]["data"] != [],
        ),
        (
            "Client page callback (all days)",
            lambda i: client_payload(i, "all"),
            lambda r: r["response"]["client-charts"]["children"]["props"]["figure"]["data"] != [],
        ),
        (
            "Missed data callback",
            missed_payload,
            lambda r: (
                len(r["response"]["missed-grid"]["rowData"]) == caseload
                and len(r["response"]["missed-heatmap"]["figure"]["data"][0]["y"]) == caseload
            ),
            client,
            100,
        ),
        (
            "Sleep & stress data callback",
            signals_payload,
            lambda r: (
                sum(
                    len(t["customdata"]) for t in r["response"]["signals-scatter"]["figure"]["data"]
                )
                == caseload
            ),
            client,
            100,
        ),
        (
            "Outcomes figures (90 days)",
            lambda _i: outcomes_payload(sup_deps, "P000", *quarter),
            figures,
            supervisor,
            300,
        ),
        (
            "Outcomes figures (365 days)",
            lambda _i: outcomes_payload(sup_deps, "P000", *year),
            figures,
            supervisor,
            500,
        ),
        (
            "Outcomes counselor picker",
            lambda _i: callback_payload(
                sup_deps, "outcomes-counselor.options", {"outcomes-program.value": "P000"}
            ),
            lambda r: len(r["response"]["outcomes-counselor"]["options"]) > 1,
            supervisor,
            300,
        ),
        (
            "Outcomes alert budget (cached check)",
            lambda i: budget_payload(sup_deps, "P000", i % 20 + 1, *quarter),
            lambda r: "per counselor" in json.dumps(r["response"]),
            supervisor,
            300,
        ),
    ]
    results = []
    for name, payload_for, check, *rest in cases:
        if not wanted(name):
            continue
        http, goal_ms = (rest[0], rest[1]) if rest else (client, 50)
        for i in range(3):  # warm caches and the first-request set-up
            post_callback(http, payload_for(i))
        server, bare, split, sent = [], [], [], []
        profiler = cProfile.Profile() if profile else None
        for i in range(calls):
            payload = payload_for(i)
            capture.statements, capture.active = [], True
            if profiler:
                profiler.enable()
            began = time.perf_counter()
            response = post_callback(http, payload)
            server.append(time.perf_counter() - began)
            if profiler:
                profiler.disable()
            capture.active = False
            assert response.status_code == 200 and check(response.get_json()), name
            seconds = replay(app_engine, capture.statements)
            bare.append(sum(seconds))
            if not split or len(split[0]) == len(seconds):  # a call may send fewer
                split.append(seconds)
                sent = sent or capture.statements
        if profiler:
            _write_profile(profiler, profile, name)
        s_med, s_p95 = summary(server)
        b_med, b_p95 = summary(bare)
        results.append(
            {
                "callback": name,
                "server_median_ms": s_med,
                "server_p95_ms": s_p95,
                "sql_median_ms": b_med,
                "sql_p95_ms": b_p95,
                "statements": len(capture.statements),
                "ratio_median": s_med / b_med,
                "ratio_p95": s_p95 / b_p95,
                "goal_ms": goal_ms,
                "ratio_goal": not rest,
                "statement_lines": statement_lines(sent, split) if per_statement else [],
            }
        )
    if check_seconds is not None:
        results.append({"callback": "Outcomes model check run (once)", "seconds": check_seconds})
    app_engine.dispose()
    engine.dispose()
    return results


def _write_profile(profiler: cProfile.Profile, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
    profiler.dump_stats(f"{stem}.pstats")
    with open(f"{stem}.txt", "w") as out:
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)


# ----------------------------------------------------------------------------- driver


def _databases(backend: str, workdir: Path, keep: str | None) -> Iterator[tuple[str, str]]:
    """A database per backend: a throw-away one, or with ``keep`` one named for its size that
    survives the run (the goal-size build takes a quarter of an hour)."""
    if backend in ("sqlite", "all"):
        yield "sqlite", f"sqlite:///{workdir / ((keep or 'bench_dashboard') + '.db')}"
    if backend in ("postgresql", "all"):
        admin_url = next((os.environ[v] for v in PG_ENV if os.environ.get(v)), None)
        if admin_url is None:
            print("PostgreSQL skipped: set CASELOAD_BENCH_POSTGRES_URL to an admin URL")
            return
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = keep or f"caseload_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            # The planner settings docs/deploy.md gives the primary (an SSD, the warehouse's
            # hot part in memory); the server's own defaults assume spinning disks.
            for setting, value in PLANNER.items():
                conn.execute(text(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'"))
        try:
            yield "postgresql", admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            if keep is None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def kept_warehouse(
    engine: Engine, log: Callable[[str], None], refresh: bool = False
) -> dict | None:
    """A kept warehouse whose build finished, brought up to the current models; its marts are
    rebuilt when one is new or changed since the build or when ``refresh`` says so."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "bench_built"):
            return None
    with engine.connect() as conn:
        seen = inspect(conn)
        before = set(seen.get_table_names())
        stale = [
            m.__table__
            for m in marts.MARTS
            if m.__tablename__ in before
            and {c["name"] for c in seen.get_columns(m.__tablename__)}
            != set(m.__table__.columns.keys())
        ]
    Base.metadata.drop_all(engine, tables=stale)  # marts whose columns changed since the build
    Base.metadata.create_all(engine)  # and tables added since
    added = {m.__tablename__ for m in marts.MARTS} - (before - {t.name for t in stale})
    if refresh or added:
        began = time.perf_counter()
        with engine.begin() as conn:
            marts.refresh(conn, None)
            conn.execute(text("ANALYZE"))
        log(f"  marts refreshed in {time.perf_counter() - began:.1f} s")
    log("  kept warehouse reused")
    return {"counselor_key": 1, "program_key": 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--caseload", type=int, default=CASELOAD)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the SQLite file goes (default: a temporary folder)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the warehouse (named for its size) and reuse it on the next run",
    )
    parser.add_argument(
        "--refresh-marts", action="store_true", help="rebuild a kept warehouse's marts first"
    )
    parser.add_argument("--only", help="time just the callbacks whose name contains this")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a cProfile of each callback's timed calls to this folder (the timings then "
        "include the profiler's overhead)",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="also print each statement's median time, costliest first",
    )
    args = parser.parse_args(argv)
    keep = f"caseload_bench_{args.clients}x{args.days}_c{args.caseload}" if args.keep else None
    log = lambda m: print(m, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="bench_dashboard_") as tmp:
        workdir = args.workdir or Path(tmp)
        for backend, url in _databases(args.backend, workdir, keep):
            log(
                f"\n== {backend}: {args.clients:,} clients x {args.days} days, "
                f"caseload {args.caseload}, {args.calls} calls each"
            )
            began = time.perf_counter()
            engine = make_engine(url)
            warehouse = keep and kept_warehouse(engine, log, args.refresh_marts)
            if not warehouse:
                Base.metadata.drop_all(engine)  # a kept build that did not finish
                warehouse = build_warehouse(engine, args.clients, args.days, args.caseload, log)
            engine.dispose()
            log(f"  warehouse built in {time.perf_counter() - began:.0f} s")
            results = measure(
                url,
                warehouse,
                args.caseload,
                args.calls,
                args.only,
                args.profile,
                args.statements,
            )
            log(
                f"  {'callback':<34}{'median':>9}{'p95':>9}   {'bare SQL med':>12}"
                f"{'p95':>8}{'stmts':>7}   {'ratio med':>9}{'p95':>7}"
            )
            for r in results:
                if "seconds" in r:
                    log(f"  {r['callback']:<34}{r['seconds']:>7.1f} s (progress shown, kept a day)")
                    continue
                ratio_ok = r["ratio_p95"] <= 3 or not r["ratio_goal"]
                goal = "ok" if r["server_p95_ms"] < r["goal_ms"] and ratio_ok else "missed"
                if r["callback"].startswith("Routing"):
                    goal = "(floor)"
                log(
                    f"  {r['callback']:<34}{r['server_median_ms']:>7.1f}ms"
                    f"{r['server_p95_ms']:>7.1f}ms"
                    f"   {r['sql_median_ms']:>10.1f}ms{r['sql_p95_ms']:>6.1f}ms{r['statements']:>7}"
                    f"   {r['ratio_median']:>8.2f}x{r['ratio_p95']:>6.2f}x  {goal}"
                )
                for ms, head in r.get("statement_lines", []):
                    log(f"      {ms:>6.2f}ms  {head}")
            if backend == "sqlite" and args.workdir is None and not keep:
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

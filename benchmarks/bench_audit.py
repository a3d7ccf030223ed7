"""Audit appends per second under concurrent writers, on PostgreSQL (and SQLite for scale).

Every page view and callback appends one row, and every append takes the chain's lock, so the
lock's hold time (read the head, compute the MAC, insert, commit) bounds the whole dashboard's
request rate. ``--writers`` threads (default 16) append ``--per-writer`` rows each, first as
the web app does (``etl.audit_queue``: each waits until its row is committed), then each in a
transaction of its own (as commands do); the chain is verified after each run.
Goal: more than 500 appends/s on PostgreSQL.

    CASELOAD_BENCH_POSTGRES_URL=postgresql://postgres:postgres@127.0.0.1:5432/postgres \\
        python -m benchmarks.bench_audit
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_dashboard import _databases
from etl import audit_queue
from etl.audit import Actor, record, verify
from etl.db import make_engine
from etl.models import Base

GOAL_PER_S = 500


def run(url: str, writers: int, per_writer: int, queued: bool) -> dict:
    engine = make_engine(url, pool_size=writers + 1, max_overflow=0)
    Base.metadata.drop_all(engine, tables=[Base.metadata.tables["app_audit_log"]])
    Base.metadata.create_all(engine)
    barrier = threading.Barrier(writers + 1)

    def writer(n: int) -> None:
        actor = Actor(user_id=n, username=f"user{n}", role="counselor", session_ref="s" * 32)
        barrier.wait()
        for i in range(per_writer):
            event = {
                "action": "view",
                "actor": actor,
                "route": "callback:today-grid.rowData",
                "client_keys": [n * 1000 + i],
                "category": "caseload",
            }
            if queued:
                audit_queue.append(engine, **event)
            else:
                with engine.begin() as conn:
                    record(conn, **event)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    result = verify(engine)
    engine.dispose()
    total = writers * per_writer
    assert result.ok and result.checked == total, result.message()
    return {"appends": total, "seconds": elapsed, "per_s": total / elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--per-writer", type=int, default=250)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_audit_") as tmp:
        for backend, url in _databases(args.backend, Path(tmp)):
            for queued in (True, False):
                r = run(url, args.writers, args.per_writer, queued)
                label = "page views (audit queue)" if queued else "one transaction each"
                verdict = ""
                if backend == "postgresql" and queued:
                    met = "met" if r["per_s"] > GOAL_PER_S else "NOT met"
                    verdict = f"  goal > {GOAL_PER_S}/s: {met}"
                print(
                    f"{backend}, {label}: {r['appends']} appends by {args.writers} writers in "
                    f"{r['seconds']:.2f} s = {r['per_s']:.0f}/s, chain verified{verdict}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    main()

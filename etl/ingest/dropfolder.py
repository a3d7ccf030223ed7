"""``caseload run-ingest DROP_DIR``: load the files programs drop into a folder, run by a timer.

A run, under the warehouse's ingest lock (``runlock``; a second run exits at once):

1. picks the complete files: ``.csv``, ``.csv.gz``, ``.json``, ``.ndjson`` (``.gz``) directly
   in DROP_DIR whose size and modification time did not change over the settle interval
   (default 5 s). A file still being written, a name ending in ``.part`` or ``.tmp``, and a
   hidden file are left for the next run; a sender that writes ``x.csv.part`` and renames it
   when done is never read half-way;
2. loads them through the ingest pipeline, in dependency order, one transaction per file, each
   transaction also recording the risk refresh it owes (``pending``);
3. moves each file, once its transaction committed, to ``processed/YYYY-MM-DD/`` (loaded, any
   rejected rows in the quarantine) or ``failed/YYYY-MM-DD/`` (unreadable, nothing loaded), with
   ``NAME.report.json`` beside it: counts per kind and quarantine reasons by column, no values;
4. refreshes client-day facts and risk scores once, for everything owed, then forgets it.

Killed at any point, nothing is half-done: a file's rows commit whole or not at all, a file
still in DROP_DIR is loaded again by the next run (a committed one then changes nothing: the
same file is a no-op), and a refresh still owed is run by the next run even if no file arrived.
Each file's load is its ``etl_load`` row, which is what data freshness reads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from etl.ingest import pending
from etl.ingest.hooks import run_post_load
from etl.ingest.pipeline import ProgressFn, ingest_paths
from etl.ingest.results import FileResult
from etl.ingest.runlock import run_lock
from etl.models import EtlQuarantine

SUFFIXES = (".csv", ".csv.gz", ".json", ".ndjson", ".ndjson.gz")
IN_PROGRESS = (".part", ".tmp")
PROCESSED, FAILED = "processed", "failed"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


@dataclass
class DropRun:
    moved: list[tuple[Path, Path]] = field(default_factory=list)  # (from, to)
    results: list[FileResult] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # names left for the next run
    refreshed_clients: int = 0
    refresh_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def candidates(drop: Path) -> tuple[list[Path], list[str]]:
    """Files a run may load, and names it leaves (in progress by name)."""
    take, leave = [], []
    for p in sorted(drop.iterdir()):
        name = p.name.lower()
        if p.name.startswith(".") or not p.is_file():
            continue
        if name.endswith(IN_PROGRESS):
            leave.append(p.name)
        elif name.endswith(SUFFIXES):
            take.append(p)
    return take, leave


def ready_files(
    drop: Path, settle_seconds: float, sleep: Callable[[float], None] = time.sleep
) -> tuple[list[Path], list[str]]:
    """The complete files: unchanged in size and mtime across ``settle_seconds``."""
    take, leave = candidates(drop)
    if not take:
        return [], leave
    before = {p: _stat(p) for p in take}
    sleep(settle_seconds)
    ready = []
    for p in take:
        now = _stat(p)
        if now is not None and now == before[p] and now[0] > 0:
            ready.append(p)
        elif now is not None:
            leave.append(p.name)
    return ready, sorted(leave)


def _unique(target: Path) -> Path:
    """``name``, else ``name-2``, ``name-3``... before the suffixes (a file re-sent the same
    day keeps its first copy and its report)."""
    if not target.exists():
        return target
    suffix = "".join(s for s in target.suffixes if s.lower() in (".csv", ".gz", ".json", ".ndjson"))
    stem = target.name[: len(target.name) - len(suffix)] if suffix else target.name
    n = 2
    while (candidate := target.with_name(f"{stem}-{n}{suffix}")).exists():
        n += 1
    return candidate


def _quarantine_reasons(engine: Engine, load_id: int | None) -> list[dict]:
    """Rejected rows by column and reason; quoted values masked (they may be identifiers)."""
    if load_id is None:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                EtlQuarantine.kind,
                EtlQuarantine.column_name,
                EtlQuarantine.reason,
                func.count().label("rows"),
                func.min(EtlQuarantine.line).label("first_line"),
            )
            .where(EtlQuarantine.load_id == load_id)
            .group_by(EtlQuarantine.kind, EtlQuarantine.column_name, EtlQuarantine.reason)
        ).all()
    grouped: dict[tuple, dict] = {}
    for r in rows:
        key = (r.kind, r.column_name, _QUOTED.sub("'…'", r.reason))
        entry = grouped.setdefault(
            key,
            {
                "kind": r.kind,
                "column": r.column_name,
                "reason": key[2],
                "rows": 0,
                "first_line": None,
            },
        )
        entry["rows"] += int(r.rows)
        if r.first_line is not None and (
            entry["first_line"] is None or r.first_line < entry["first_line"]
        ):
            entry["first_line"] = int(r.first_line)
    return sorted(grouped.values(), key=lambda e: (-e["rows"], e["column"] or ""))


def file_report(engine: Engine, result: FileResult, name: str) -> dict:
    return {
        "file": name,
        "status": result.status,
        "load_id": result.load_id,
        "kind": result.kind,
        "error": result.error,
        "counts": {
            "read": result.read,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "skipped": result.skipped,
        },
        "by_kind": {k: c.as_json() for k, c in result.by_kind.items()},
        "quarantine": _quarantine_reasons(engine, result.load_id) if result.rejected else [],
        "warnings": result.warnings,
        "seconds": round(result.seconds, 2),
    }


def _move(engine: Engine, drop: Path, result: FileResult, day: dt.date) -> tuple[Path, Path]:
    source = Path(result.path)
    folder = drop / (FAILED if result.status == "failed" else PROCESSED) / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _unique(folder / source.name)
    report = target.with_name(target.name + ".report.json")
    partial = report.with_name(report.name + ".part")
    partial.write_text(json.dumps(file_report(engine, result, source.name), indent=2) + "\n")
    os.replace(partial, report)
    os.replace(source, target)  # last: until here the next run would load it again
    return source, target


def run_drop_folder(
    engine: Engine,
    drop: Path,
    *,
    settle_seconds: float = 5.0,
    refresh: bool = True,
    today: dt.date | None = None,
    on_progress: ProgressFn | None = None,
) -> DropRun:
    """One run (see the module docstring); raises ``RunLocked`` when another run holds the
    lock."""
    drop = drop.resolve()
    run = DropRun()
    with run_lock(engine, drop):
        ready, run.waiting = ready_files(drop, settle_seconds)
        if ready:
            report = ingest_paths(
                engine, ready, on_progress=on_progress, before_commit=pending.remember
            )
            run.results = report.files
            day = today or dt.date.today()
            for result in report.files:
                run.moved.append(_move(engine, drop, result, day))
        if refresh:
            owed = pending.owed(engine)
            if owed:
                began = time.perf_counter()
                run_post_load(engine, owed)
                pending.settled(engine, owed)
                run.refreshed_clients = len(owed.client_dates)
                run.refresh_seconds = time.perf_counter() - began
    return run

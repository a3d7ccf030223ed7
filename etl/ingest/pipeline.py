"""Extract -> stage -> load -> check, one file at a time, one transaction per file.

``ingest_paths`` is the entry point for the command line and for tests: files are loaded in
dependency order (programs, staff, clients, then facts) whatever order they were given in; a
file that cannot be read fails alone with a one-line reason and the others still load. The
report says, per file, how every row read was counted, and which clients' days changed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from etl.changes import ChangeSet
from etl.ingest import bookkeeping, bulk, quarantine
from etl.ingest.errors import FileRejected, NeedsExactReader
from etl.ingest.hashing import row_hashes
from etl.ingest.kinds import KINDS, Kind
from etl.ingest.load import Counts, Loader
from etl.ingest.lookups import Lookups, load_lookups
from etl.ingest.prefetch import prefetch
from etl.ingest.sources import Chunk, OpenedFile, open_file
from etl.ingest.validate import stage
from etl.models import EtlQuarantine
from etl.settings import get_settings

ProgressFn = Callable[[str, int, int], None]  # (path, rows written, rows expected)
RETRY_PATH = "(quarantine retry)"
_PG_INGEST_LOCK = 7_311_043
_SQLITE_CACHE_KIB = 128 * 1024


@dataclass
class FileResult:
    path: str
    kind: str | None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status: str = "loaded"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    load_id: int | None = None
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.read == self.inserted + self.updated + self.unchanged + self.rejected

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "status": self.status,
            "error": self.error,
            "warnings": self.warnings,
            "load_id": self.load_id,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    changes: ChangeSet = field(default_factory=ChangeSet)
    interrupted_loads: int = 0

    @property
    def ok(self) -> bool:
        return all(f.status == "loaded" for f in self.files)

    def as_json(self) -> dict:
        return {
            "files": [f.as_json() for f in self.files],
            "ok": self.ok,
            "changed_clients": len(self.changes.client_dates),
            "interrupted_loads": self.interrupted_loads,
        }


@dataclass
class Processed:
    rows: pd.DataFrame  # valid rows, shaped for the kind's target, with row_hash
    rejected: pd.DataFrame  # position, line, column, value, reason, raw
    read: int
    positions: np.ndarray  # where each valid row was in the chunk


# --------------------------------------------------------------------------- stage one chunk


def process_rows(kind: Kind, raw: pd.DataFrame, lines: np.ndarray, lookups: Lookups) -> Processed:
    """Validate and shape one chunk of text rows; nothing is written here."""
    raw = raw.reset_index(drop=True)
    typed, problems = stage(kind, raw)
    built = kind.build(typed, lookups, problems)
    bad = problems.rejected_mask()
    rows = built[~bad].reset_index(drop=True)
    target = kind.target
    hashed = [c for c in target.columns if c not in target.derived]
    rows["row_hash"] = row_hashes(rows, [target.natural_key, *hashed, *target.satellite_columns])
    rejected = problems.by_row(kind.columns)
    if not rejected.empty:
        pos = rejected["position"].to_numpy()
        rejected["line"] = lines[pos]
        text = raw.iloc[pos].astype(object).where(raw.iloc[pos].notna(), None)
        rejected["raw"] = text.to_dict("records")
    else:
        rejected["line"] = pd.Series([], dtype="int64")
        rejected["raw"] = pd.Series([], dtype=object)
    return Processed(rows=rows, rejected=rejected, read=len(raw), positions=np.flatnonzero(~bad))


def _malformed_frame(chunk: Chunk) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position": [-1] * len(chunk.malformed),
            "line": [m.line for m in chunk.malformed],
            "column": [None] * len(chunk.malformed),
            "value": [None] * len(chunk.malformed),
            "reason": [m.reason for m in chunk.malformed],
            "raw": [{quarantine.MALFORMED_KEY: m.fields} for m in chunk.malformed],
        }
    )


class _Dates:
    """The span of calendar dates a load wrote, for ``dim_date``."""

    def __init__(self) -> None:
        self.first: dt.date | None = None
        self.last: dt.date | None = None

    def add(self, kind: Kind, rows: pd.DataFrame) -> None:
        from sqlalchemy import Date

        for name in kind.target.columns:
            if isinstance(kind.target.table.c[name].type, Date):
                values = pd.to_datetime(rows[name]).dropna()
                if values.empty:
                    continue
                lo, hi = values.min().date(), values.max().date()
                self.first = lo if self.first is None else min(self.first, lo)
                self.last = hi if self.last is None else max(self.last, hi)


def _begin_write(conn: Connection) -> None:
    """Take the warehouse's write lock for the whole file (one ingest writes at a time)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_INGEST_LOCK,))
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --------------------------------------------------------------------------- one file


def _tune(conn: Connection, on: bool) -> None:
    """SQLite's default page cache (2 MiB) thrashes once a load's indexes outgrow it."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size={-_SQLITE_CACHE_KIB if on else -2000}")


def _load_file(
    engine: Engine,
    opened: OpenedFile,
    result: FileResult,
    changes: ChangeSet,
    *,
    chunk_rows: int,
    exact: bool,
    on_progress: ProgressFn | None,
) -> None:
    kind = opened.kind
    now = bookkeeping.utcnow()
    counts, read, rejected = Counts(), 0, 0
    file_changes = ChangeSet()
    dates = _Dates()
    with engine.connect() as conn:
        threshold = get_settings().ingest_bulk_rows
        in_bulk = bulk.wanted(conn, kind.target, opened.estimated_rows, threshold)
        bulk.before_transaction(conn, in_bulk)
        _begin_write(conn)
        _tune(conn, True)
        try:
            lookups = load_lookups(conn, kind.needs)
            loader = Loader(conn, result.load_id, now)
            sink = quarantine.QuarantineWriter(conn, result.load_id, result.path, kind.name, now)
            aside = bulk.set_aside(conn, kind.target) if in_bulk else None

            def prepared() -> Iterator[tuple[Chunk, Processed]]:
                for chunk in opened.chunks(chunk_rows, exact=exact):
                    yield chunk, process_rows(kind, chunk.frame, chunk.lines, lookups)

            for chunk, processed in prefetch(prepared):
                counts.add(loader.upsert(kind.target, processed.rows, file_changes))
                dates.add(kind, processed.rows)
                bad = processed.rejected
                if chunk.malformed:
                    bad = pd.concat([bad, _malformed_frame(chunk)], ignore_index=True)
                sink.add(bad)
                read += processed.read + len(chunk.malformed)
                rejected += len(bad)
                if on_progress:
                    on_progress(result.path, read, max(read, opened.estimated_rows))
            if aside is not None:
                bulk.restore(conn, aside)
            bookkeeping.ensure_dates(conn, dates.first, dates.last)
            final = {
                "rows_read": read,
                "rows_inserted": counts.inserted,
                "rows_updated": counts.updated,
                "rows_unchanged": counts.unchanged,
                "rows_rejected": rejected,
            }
            bookkeeping.finish(conn, result.load_id, sha256=opened.sha256(), counts=final)
            conn.commit()
        finally:
            if conn.in_transaction():
                conn.rollback()
            _tune(conn, False)
            bulk.after_transaction(conn)
    changes.merge(file_changes)
    result.read, result.rejected = read, rejected
    result.inserted, result.updated, result.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )


def _one_line(exc: BaseException) -> str:
    """An unexpected error as one line, without SQL parameters (they may hold identifiers)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    first = text[0] if text else ""
    return f"internal error: {type(orig or exc).__name__}: {first[:300]}"


def ingest_file(
    engine: Engine,
    opened: OpenedFile,
    changes: ChangeSet,
    *,
    chunk_rows: int,
    on_progress: ProgressFn | None = None,
) -> FileResult:
    path = str(opened.path)
    result = FileResult(path=path, kind=opened.kind.name)
    result.warnings = [f"unknown column '{c}' ignored" for c in opened.unknown_columns]
    result.load_id = bookkeeping.start(engine, path, opened.kind.name)
    began = time.perf_counter()
    try:
        try:
            _load_file(
                engine,
                opened,
                result,
                changes,
                chunk_rows=chunk_rows,
                exact=False,
                on_progress=on_progress,
            )
        except NeedsExactReader:
            _load_file(
                engine,
                opened,
                result,
                changes,
                chunk_rows=chunk_rows,
                exact=True,
                on_progress=on_progress,
            )
    except FileRejected as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
        result.status, result.error = "failed", _one_line(exc)
    if result.status == "failed":
        result.read = result.inserted = result.updated = result.unchanged = result.rejected = 0
        bookkeeping.fail(engine, result.load_id, result.error or "failed", opened.sha256())
    result.seconds = time.perf_counter() - began
    return result


def _open_all(engine: Engine, paths: Iterable[Path]) -> tuple[list[OpenedFile], list[FileResult]]:
    opened: list[OpenedFile] = []
    failed: list[FileResult] = []
    for path in paths:
        try:
            opened.append(open_file(path))
        except FileRejected as exc:
            result = FileResult(path=str(path), kind=None, status="failed", error=str(exc))
            result.load_id = bookkeeping.start(engine, str(path), None)
            bookkeeping.fail(engine, result.load_id, str(exc), _sha256_or_none(path))
            failed.append(result)
    order = {k.name: k.order for k in KINDS}
    opened.sort(key=lambda o: order[o.kind.name])  # stable: same kind keeps argument order
    return opened, failed


def _sha256_or_none(path: Path) -> str | None:
    import hashlib

    try:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def ingest_paths(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    chunk_rows: int | None = None,
    on_progress: ProgressFn | None = None,
    retry_quarantine: bool = False,
) -> IngestReport:
    """Load files (and optionally retry the quarantine); return per-file counts and changes."""
    rows = chunk_rows or get_settings().chunk_rows
    report = IngestReport()
    report.interrupted_loads = bookkeeping.mark_interrupted(engine)
    opened, failed = _open_all(engine, [Path(p) for p in paths])
    report.files.extend(failed)
    for item in opened:
        report.files.append(
            ingest_file(engine, item, report.changes, chunk_rows=rows, on_progress=on_progress)
        )
    if retry_quarantine:
        report.files.extend(retry(engine, report.changes, chunk_rows=rows))
    return report


# --------------------------------------------------------------------------- quarantine retry


def retry(engine: Engine, changes: ChangeSet, *, chunk_rows: int) -> list[FileResult]:
    """Load the open quarantine again, kind by kind, now that more of the warehouse is in."""
    results = []
    for kind in KINDS:
        with engine.connect() as conn:
            pending = conn.execute(
                select(func.count()).where(
                    EtlQuarantine.kind == kind.name, EtlQuarantine.status == "open"
                )
            ).scalar_one()
        if not pending:
            continue
        result = FileResult(path=RETRY_PATH, kind=kind.name)
        result.load_id = bookkeeping.start(engine, RETRY_PATH, kind.name)
        began = time.perf_counter()
        try:
            _retry_kind(engine, kind, result, changes, chunk_rows)
        except Exception as exc:  # noqa: BLE001
            result.status, result.error = "failed", _one_line(exc)
            bookkeeping.fail(engine, result.load_id, result.error)
        result.seconds = time.perf_counter() - began
        results.append(result)
    return results


def _retry_kind(
    engine: Engine, kind: Kind, result: FileResult, changes: ChangeSet, chunk_rows: int
) -> None:
    now = bookkeeping.utcnow()
    counts, read, rejected = Counts(), 0, 0
    file_changes = ChangeSet()
    dates = _Dates()
    with engine.connect() as conn:
        _begin_write(conn)
        lookups = load_lookups(conn, kind.needs)
        loader = Loader(conn, result.load_id, now)
        after = 0
        while True:
            entries = quarantine.open_entries(conn, kind.name, after, chunk_rows)
            if entries.empty:
                break
            after = int(entries["quarantine_id"].max())
            malformed = entries["raw"].map(lambda r: quarantine.MALFORMED_KEY in (r or {}))
            still_bad = entries[malformed.to_numpy()]
            usable = entries[~malformed.to_numpy()].reset_index(drop=True)
            raw = pd.DataFrame(
                [
                    {c: ("" if (r or {}).get(c) is None else str(r[c])) for c in kind.columns}
                    for r in usable["raw"]
                ],
                columns=list(kind.columns),
                dtype="str",
            )
            processed = process_rows(kind, raw, usable["line"].to_numpy(), lookups)
            # A newer version of the record loaded since this row was quarantined wins.
            queued_by = usable["load_id"].to_numpy()[processed.positions]
            newer = loader.loaded_since(kind.target, processed.rows, queued_by)
            ids = usable["quarantine_id"].to_numpy()[processed.positions]
            counts.add(loader.upsert(kind.target, processed.rows[~newer], file_changes))
            counts.unchanged += int(newer.sum())
            dates.add(kind, processed.rows[~newer])
            bad_pos = set(processed.rejected["position"].tolist())
            quarantine.resolve(conn, [int(q) for q in ids[~newer]], now)
            quarantine.resolve(conn, [int(q) for q in ids[newer]], now, status="superseded")
            quarantine.restate(
                conn,
                [
                    {
                        "quarantine_id": int(usable["quarantine_id"].iloc[r.position]),
                        "reason": r.reason,
                        "column": r.column,
                        "value": r.value,
                    }
                    for r in processed.rejected.itertuples(index=False)
                ],
            )
            read += len(entries)
            rejected += len(bad_pos) + len(still_bad)
        bookkeeping.ensure_dates(conn, dates.first, dates.last)
        final = {
            "rows_read": read,
            "rows_inserted": counts.inserted,
            "rows_updated": counts.updated,
            "rows_unchanged": counts.unchanged,
            "rows_rejected": rejected,
        }
        bookkeeping.finish(conn, result.load_id, sha256=None, counts=final)
        conn.commit()
    changes.merge(file_changes)
    result.read, result.rejected = read, rejected
    result.inserted, result.updated, result.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )

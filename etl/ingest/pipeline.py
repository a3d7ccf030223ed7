"""Extract -> stage -> load -> check, one file at a time, one transaction per file.

``ingest_paths`` is the entry point for the command line and for tests: files are loaded in
dependency order (programs, staff, clients, then facts) whatever order they were given in; a
file that cannot be read fails alone with a one-line reason and the others still load. The
report says, per file, how every row read was counted, and which clients' days changed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from etl.changes import ChangeSet
from etl.ingest import bookkeeping, bulk, quarantine
from etl.ingest.chunk import (
    DateSpan,
    Processed,
    begin_write,
    malformed_frame,
    one_line,
    process_rows,
)
from etl.ingest.errors import FileRejected, NeedsExactReader
from etl.ingest.kinds import KINDS
from etl.ingest.load import Counts, Loader
from etl.ingest.lookups import load_lookups
from etl.ingest.mapping import Mapping, open_mapped
from etl.ingest.prefetch import prefetch
from etl.ingest.results import FileResult, IngestReport
from etl.ingest.retry import retry
from etl.ingest.sources import Chunk, OpenedFile, open_file
from etl.settings import get_settings

ProgressFn = Callable[[str, int, int], None]  # (path, rows written, rows expected)
_SQLITE_CACHE_KIB = 128 * 1024


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
    dates = DateSpan()
    with engine.connect() as conn:
        threshold = get_settings().ingest_bulk_rows
        in_bulk = bulk.wanted(conn, kind.target, opened.estimated_rows, threshold)
        bulk.before_transaction(conn, in_bulk)
        begin_write(conn)
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
                if chunk.explain is not None:
                    bad = chunk.explain(bad)
                if chunk.malformed:
                    bad = pd.concat([bad, malformed_frame(chunk)], ignore_index=True)
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
        result.status, result.error = "failed", one_line(exc)
    if result.status == "failed":
        result.read = result.inserted = result.updated = result.unchanged = result.rejected = 0
        bookkeeping.fail(engine, result.load_id, result.error or "failed", opened.sha256())
    result.seconds = time.perf_counter() - began
    return result


def _open_all(
    engine: Engine, paths: Iterable[Path], opener: Callable[[Path], OpenedFile] = open_file
) -> tuple[list[OpenedFile], list[FileResult]]:
    opened: list[OpenedFile] = []
    failed: list[FileResult] = []
    for path in paths:
        try:
            opened.append(opener(path))
        except FileRejected as exc:
            result = FileResult(path=str(path), kind=None, status="failed", error=str(exc))
            result.load_id = bookkeeping.start(engine, str(path), None)
            bookkeeping.fail(engine, result.load_id, str(exc), _sha256_or_none(path))
            failed.append(result)
    order = {k.name: k.order for k in KINDS}
    opened.sort(key=lambda o: order[o.kind.name])  # stable: same kind keeps argument order
    return opened, failed


def _sha256_or_none(path: Path) -> str | None:
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
    mapping: Mapping | None = None,
) -> IngestReport:
    """Load files (and optionally retry the quarantine); return per-file counts and changes.

    With a ``mapping`` (``etl.ingest.mapping``) every file is read through it as its kind."""
    rows = chunk_rows or get_settings().chunk_rows
    report = IngestReport()
    report.interrupted_loads = bookkeeping.mark_interrupted(engine)
    opener = open_file if mapping is None else partial(open_mapped, mapping=mapping)
    opened, failed = _open_all(engine, [Path(p) for p in paths], opener)
    report.files.extend(failed)
    for item in opened:
        report.files.append(
            ingest_file(engine, item, report.changes, chunk_rows=rows, on_progress=on_progress)
        )
    if retry_quarantine:
        report.files.extend(retry(engine, report.changes, chunk_rows=rows))
    return report

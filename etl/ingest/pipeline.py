"""Extract -> stage -> load -> check, one file at a time, one transaction per file.

``ingest_paths`` is the entry point for the command line and for tests: files are loaded in
dependency order (programs, staff, clients, then facts) whatever order they were given in; a
file that cannot be read fails alone with a one-line reason and the others still load. A file
may hold several kinds (FHIR); its source yields them dimensions first and they load in the
file's one transaction through the loop ``retry`` shares (``etl.ingest.loop``). The report
says, per file and per kind, how every record read was counted, and which clients changed.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine

from etl.changes import ChangeSet
from etl.ingest import bookkeeping, bulk
from etl.ingest.chunk import Processed, begin_write, one_line, process_rows
from etl.ingest.errors import FileRejected, NeedsExactReader
from etl.ingest.kinds import Kind
from etl.ingest.lookups import Lookups
from etl.ingest.loop import LoadRun
from etl.ingest.mapping import Mapping, open_mapped
from etl.ingest.prefetch import prefetch
from etl.ingest.results import FileResult, IngestReport
from etl.ingest.retry import retry
from etl.ingest.sources import Chunk, OpenedFile, open_file
from etl.settings import get_settings

ProgressFn = Callable[[str, int, int], None]  # (path, rows written, rows expected)
# Called with the file's open transaction and what it changed, just before it commits.
BeforeCommitFn = Callable[[Connection, ChangeSet], None]
_SQLITE_CACHE_KIB = 128 * 1024


def _tune(conn: Connection, on: bool) -> None:
    """SQLite's default page cache (2 MiB) thrashes once a load's indexes outgrow it, and the
    index rebuilt at the end of a bulk load sorts faster with a helper thread."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size={-_SQLITE_CACHE_KIB if on else -2000}")
        conn.exec_driver_sql(f"PRAGMA threads={2 if on else 0}")


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A chunk being read holds a few hundred thousand small containers (rows, JSON paths)
    that all live until it is written, and the cyclic collector's default pace (every 700
    allocations) scans them again and again; reference counting frees them anyway. While a
    file loads the collector runs a hundred times less often; its pace is restored after."""
    old = gc.get_threshold()
    gc.set_threshold(70_000, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _Boundary:
    """Handed from the reading thread at each change of kind: the writer refreshes the
    lookups (the kind before may have added the clients this one names) before it goes on."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.ready = threading.Event()
        self.lookups: Lookups | None = None


def _prepared(
    opened: OpenedFile, run: LoadRun, chunk_rows: int, exact: bool, stop: threading.Event
) -> Callable[[], Iterator[tuple[Chunk, Kind, Processed] | _Boundary]]:
    kinds = kinds_of(opened)
    if len(kinds) > 1:  # only sources of many kinds (FHIR) resolve references through it
        chunks = opened.chunks(chunk_rows, exact=exact, context=_Links(run.known_links()))
    else:
        chunks = opened.chunks(chunk_rows, exact=exact)

    def produce() -> Iterator[tuple[Chunk, Kind, Processed] | _Boundary]:
        current: Kind | None = None
        lookups = None
        for chunk in chunks:
            kind = chunk.kind or kinds[0]
            if kind is not current:
                boundary = _Boundary(kind)
                yield boundary
                while not boundary.ready.wait(0.1):
                    if stop.is_set():
                        return
                current, lookups = kind, boundary.lookups
            assert lookups is not None
            yield chunk, kind, process_rows(kind, chunk.frame, chunk.lines, lookups)

    return produce


def kinds_of(opened: OpenedFile) -> tuple[Kind, ...]:
    """The kinds a file may hold; a source of one kind may just name it (``opened.kind``)."""
    return getattr(opened, "kinds", None) or (opened.kind,)  # type: ignore[attr-defined]


class _Links:
    """FHIR Patient ids that earlier loads linked to clients (read once, before the file)."""

    def __init__(self, links: dict[str, str]) -> None:
        self._links = links

    def patient_client_id(self, fhir_id: str) -> str | None:
        return self._links.get(fhir_id)


def _load_file(
    engine: Engine,
    opened: OpenedFile,
    result: FileResult,
    changes: ChangeSet,
    *,
    chunk_rows: int,
    exact: bool,
    on_progress: ProgressFn | None,
    before_commit: BeforeCommitFn | None = None,
) -> None:
    now = bookkeeping.utcnow()
    result.clear()
    read = 0
    with engine.connect() as conn, _fewer_collections():
        threshold = get_settings().ingest_bulk_rows
        bulky = [
            k
            for k in kinds_of(opened)
            if bulk.wanted(conn, k.target, opened.estimated_rows, threshold)
        ]
        bulk.before_transaction(conn, bool(bulky))
        begin_write(conn)
        _tune(conn, True)
        stop = threading.Event()
        try:
            run = LoadRun(conn, result, now)
            asides = [bulk.set_aside(conn, k.target) for k in bulky]
            for aside in asides:
                for key in aside.keys:
                    run.loader.keys_aside[key.table.name] = partial(bulk.restore_keys, conn, aside)
            for item in prefetch(_prepared(opened, run, chunk_rows, exact, stop)):
                if isinstance(item, _Boundary):
                    item.lookups = run.lookups(item.kind)  # after the kinds before it wrote
                    item.ready.set()
                    continue
                chunk, kind, processed = item
                read += run.load_chunk(kind, chunk, processed, result.path)
                if on_progress:
                    on_progress(result.path, read, max(read, opened.estimated_rows))
            for aside in asides:
                bulk.restore(conn, aside)
            run.finish(opened.sha256())
            if before_commit is not None:
                before_commit(conn, run.changes)
            conn.commit()
        finally:
            stop.set()
            if conn.in_transaction():
                conn.rollback()
            _tune(conn, False)
            bulk.after_transaction(conn)
    changes.merge(run.changes)


def ingest_file(
    engine: Engine,
    opened: OpenedFile,
    changes: ChangeSet,
    *,
    chunk_rows: int,
    on_progress: ProgressFn | None = None,
    before_commit: BeforeCommitFn | None = None,
) -> FileResult:
    path = str(opened.path)
    label = _label(opened)
    result = FileResult(path=path, kind=label)
    result.warnings = [f"unknown column '{c}' ignored" for c in opened.unknown_columns]
    result.load_id = bookkeeping.start(engine, path, label)
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
                before_commit=before_commit,
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
                before_commit=before_commit,
            )
    except FileRejected as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
        result.status, result.error = "failed", one_line(exc)
    if result.status == "failed":
        result.clear()
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
    opened.sort(key=lambda o: kinds_of(o)[0].order)  # stable: same kind keeps argument order
    return opened, failed


def _label(opened: OpenedFile) -> str:
    """The kind a file's load is listed under: its kind, or its format when it holds many."""
    kinds = kinds_of(opened)
    if len(kinds) == 1:
        return kinds[0].name
    return getattr(opened, "label", "mixed")


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
    before_commit: BeforeCommitFn | None = None,
) -> IngestReport:
    """Load files (and optionally retry the quarantine); return per-file counts and changes.

    With a ``mapping`` (``etl.ingest.mapping``) every file is read through it as its kind;
    ``before_commit`` writes alongside each file's data, in its transaction (``run-ingest``
    records the refresh it owes)."""
    rows = chunk_rows or get_settings().chunk_rows
    report = IngestReport()
    report.interrupted_loads = bookkeeping.mark_interrupted(engine)
    opener = open_file if mapping is None else partial(open_mapped, mapping=mapping)
    opened, failed = _open_all(engine, [Path(p) for p in paths], opener)
    report.files.extend(failed)
    for item in opened:
        report.files.append(
            ingest_file(
                engine,
                item,
                report.changes,
                chunk_rows=rows,
                on_progress=on_progress,
                before_commit=before_commit,
            )
        )
    if retry_quarantine:
        report.files.extend(retry(engine, report.changes, chunk_rows=rows))
    return report

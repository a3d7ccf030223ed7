"""``caseload ingest --retry-quarantine``: load the open quarantine again, kind by kind.

Rows wait there when, say, check-ins arrived before the roster that names their clients. Each
kind's retry is one transaction and one ``etl_load`` row; a row that now passes is loaded and
its entry closed, a row that still fails keeps its entry with today's reason, and a row whose
record was loaded in a newer version meanwhile is closed as superseded, never applied over it.
"""

from __future__ import annotations

import time

import pandas as pd
from sqlalchemy import Engine, func, select, true

from etl.changes import ChangeSet
from etl.ingest import bookkeeping, quarantine
from etl.ingest.chunk import begin_write, one_line
from etl.ingest.kinds import KINDS, Kind
from etl.ingest.loop import LoadRun
from etl.ingest.results import FileResult
from etl.models import EtlQuarantine

RETRY_PATH = "(quarantine retry)"


def retry(
    engine: Engine, changes: ChangeSet, *, chunk_rows: int, load_id: int | None = None
) -> list[FileResult]:
    """Load the open quarantine again, kind by kind, now that more of the warehouse is in
    (only the rows one load rejected, when ``load_id`` is given: the admin page's Retry)."""
    results = []
    only_load = EtlQuarantine.load_id == load_id if load_id is not None else true()
    for kind in KINDS:
        with engine.connect() as conn:
            pending = conn.execute(
                select(func.count()).where(
                    EtlQuarantine.kind == kind.name, EtlQuarantine.status == "open", only_load
                )
            ).scalar_one()
        if not pending:
            continue
        result = FileResult(path=RETRY_PATH, kind=kind.name)
        result.load_id = bookkeeping.start(engine, RETRY_PATH, kind.name)
        began = time.perf_counter()
        try:
            _retry_kind(engine, kind, result, changes, chunk_rows, load_id)
        except Exception as exc:  # noqa: BLE001
            result.status, result.error = "failed", one_line(exc)
            bookkeeping.fail(engine, result.load_id, result.error)
        result.seconds = time.perf_counter() - began
        results.append(result)
    return results


def _retry_kind(
    engine: Engine,
    kind: Kind,
    result: FileResult,
    changes: ChangeSet,
    chunk_rows: int,
    load_id: int | None = None,
) -> None:
    now = bookkeeping.utcnow()
    with engine.connect() as conn:
        begin_write(conn)
        run = LoadRun(conn, result, now)
        mine = run.counts(kind.name)
        after = 0
        while True:
            entries = quarantine.open_entries(conn, kind.name, after, chunk_rows, load_id)
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
            lines = usable["line"].fillna(-1).to_numpy(dtype="int64")
            processed = run.process(kind, raw, lines)
            # A newer version of the record loaded since this row was quarantined wins.
            queued_by = usable["load_id"].to_numpy()[processed.positions]
            newer = run.loader.loaded_since(kind.target, processed.rows, queued_by)
            ids = usable["quarantine_id"].to_numpy()[processed.positions]
            run.write(kind, processed.rows[~newer])
            mine.unchanged += int(newer.sum())
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
            mine.read += len(entries)
            mine.rejected += len(bad_pos) + len(still_bad)
        run.finish(None)
        conn.commit()
    changes.merge(run.changes)

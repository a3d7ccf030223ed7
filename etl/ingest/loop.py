"""The load loop that file loads and quarantine retries share: one transaction, many kinds.

A ``LoadRun`` holds what one transaction needs whatever the rows came from: the warehouse
lookups (read again whenever the kind changes, since the kind before it may have added the
clients this one refers to), the loader, a quarantine writer per kind, the dates written, the
links learned, and the counts per kind, so that ``read = inserted + updated + unchanged +
rejected + skipped`` holds for each kind and for the file. ``pipeline`` feeds it the chunks of
an opened file, ``retry`` the open quarantine entries; both end with ``finish``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from etl.changes import ChangeSet
from etl.ingest import bookkeeping, quarantine
from etl.ingest.chunk import DateSpan, Processed, malformed_frame, process_rows
from etl.ingest.kinds import Kind
from etl.ingest.load import Counts, Loader
from etl.ingest.lookups import Lookups, load_lookups
from etl.ingest.results import FileResult, KindCounts
from etl.ingest.sources import Chunk, Malformed
from etl.ingest.sources.base import JsonPath
from etl.models import FhirPatientLink

_LOOKED_UP = frozenset({"programs", "staff", "clients"})  # the kinds lookups read
OTHER = "other"  # the per-kind bucket for records that are no kind of ours (skipped)


class LoadRun:
    def __init__(self, conn: Connection, result: FileResult, now: dt.datetime) -> None:
        self.conn = conn
        self.result = result
        self.now = now
        self.loader = Loader(conn, int(result.load_id or 0), now)
        self.changes = ChangeSet()
        self.dates = DateSpan()
        self._lookups: dict[str, Lookups] = {}
        self._sinks: dict[str, quarantine.QuarantineWriter] = {}

    # -- per kind ------------------------------------------------------------------------------

    def counts(self, name: str) -> KindCounts:
        return self.result.by_kind.setdefault(name, KindCounts())

    def lookups(self, kind: Kind) -> Lookups:
        """The warehouse as this transaction sees it, read again after a dimension changed."""
        if kind.name not in self._lookups:
            self._lookups[kind.name] = load_lookups(self.conn, kind.needs)
        return self._lookups[kind.name]

    def process(self, kind: Kind, raw: pd.DataFrame, lines: np.ndarray) -> Processed:
        return process_rows(kind, raw, lines, self.lookups(kind))

    def write(self, kind: Kind, rows: pd.DataFrame) -> Counts:
        counts = self.loader.upsert(kind.target, rows, self.changes)
        if kind.name in _LOOKED_UP and (counts.inserted or counts.updated):
            self._lookups.clear()  # the kinds after this one must see what it wrote
        self.dates.add(kind, rows)
        self.counts(kind.name).add_counts(counts)
        return counts

    def reject(self, kind_name: str, rejected: pd.DataFrame, path: str) -> None:
        if rejected.empty:
            return
        if kind_name not in self._sinks:
            self._sinks[kind_name] = quarantine.QuarantineWriter(
                self.conn, int(self.result.load_id or 0), path, kind_name, self.now
            )
        self._sinks[kind_name].add(rejected)

    # -- a source chunk, whole -----------------------------------------------------------------

    def load_chunk(self, kind: Kind, chunk: Chunk, processed: Processed, path: str) -> int:
        """Write a prepared chunk: rows, withdrawals, links, rejects, skips; rows read."""
        if chunk.links:
            self.remember_links(chunk.links)
        self.write(kind, processed.rows)
        mine = self.counts(kind.name)
        if chunk.withdrawn:
            removed = self.loader.remove(kind.target, chunk.withdrawn, self.changes)
            mine.read += removed
            mine.updated += removed
            gone = len(chunk.withdrawn) - removed
            if gone:
                self.skip(kind.name, "entered-in-error: no such record to remove", gone)
        bad = processed.rejected
        if chunk.explain is not None:
            bad = chunk.explain(bad)
        if chunk.json_paths is not None and not bad.empty:
            bad = bad.assign(json_path=_paths_of(bad, chunk.json_paths))
        mine.read += processed.read
        mine.rejected += len(bad)
        by_kind: dict[str, list[Malformed]] = {}
        for m in chunk.malformed:
            by_kind.setdefault(m_kind(m, kind), []).append(m)
        for name, records in by_kind.items():
            self.counts(name).read += len(records)
            self.counts(name).rejected += len(records)
            if name == kind.name:
                bad = pd.concat([bad, malformed_frame(records)], ignore_index=True)
            else:
                self.reject(name, malformed_frame(records), path)
        self.reject(kind.name, bad, path)
        for (name, reason), n in chunk.skipped.items():
            self.skip(name or OTHER, reason, n)
        return processed.read + len(chunk.malformed) + len(chunk.withdrawn)

    def skip(self, name: str, reason: str, n: int) -> None:
        mine = self.counts(name)
        mine.read += n
        mine.skipped += n
        reasons = self.result.skip_reasons
        reasons[reason] = reasons.get(reason, 0) + n

    # -- FHIR Patient links --------------------------------------------------------------------

    def remember_links(self, links: Mapping[str, str]) -> None:
        ids = list(links)
        for start in range(0, len(ids), 5000):
            batch = ids[start : start + 5000]
            self.conn.execute(delete(FhirPatientLink).where(FhirPatientLink.fhir_id.in_(batch)))
            self.conn.execute(
                insert(FhirPatientLink),
                [
                    {"fhir_id": i, "client_id": links[i], "load_id": self.result.load_id}
                    for i in batch
                ],
            )

    def known_links(self) -> dict[str, str]:
        return dict(
            self.conn.execute(select(FhirPatientLink.fhir_id, FhirPatientLink.client_id)).all()
        )

    # -- the end -------------------------------------------------------------------------------

    def finish(self, sha256: str | None) -> None:
        """Totals into the result and ``etl_load``; the caller commits."""
        bookkeeping.ensure_dates(self.conn, self.dates.first, self.dates.last)
        r = self.result
        r.by_kind = {name: k for name, k in r.by_kind.items() if k.read}  # kinds it held
        totals = KindCounts()
        for c in r.by_kind.values():
            totals.merge(c)
        r.read, r.inserted, r.updated = totals.read, totals.inserted, totals.updated
        r.unchanged, r.rejected, r.skipped = totals.unchanged, totals.rejected, totals.skipped
        bookkeeping.finish(
            self.conn,
            int(r.load_id or 0),
            sha256=sha256,
            counts={
                "rows_read": r.read,
                "rows_inserted": r.inserted,
                "rows_updated": r.updated,
                "rows_unchanged": r.unchanged,
                "rows_rejected": r.rejected,
                "rows_skipped": r.skipped,
            },
        )


def m_kind(m: Malformed, kind: Kind) -> str:
    """A malformed record belongs to the chunk's kind unless it names another."""
    return m.kind_name or kind.name


def _paths_of(bad: pd.DataFrame, paths: list[JsonPath]) -> list[str | None]:
    """The JSON path of each rejected row's first problem (its element, else the resource)."""
    out: list[str | None] = []
    for pos, column in zip(bad["position"], bad["column"], strict=True):
        base, within, absolute = paths[int(pos)]
        rel = within.get(column) if isinstance(column, str) else None
        if rel is None:
            out.append(base or None)
        elif absolute or not base:
            out.append(rel)
        else:
            out.append(f"{base}{rel}" if rel.startswith("[") else f"{base}.{rel}")
    return out

"""Ingest: read the programs' CSV exports into the warehouse, idempotently, file by file.

``ingest_paths(engine, paths)`` returns an ``IngestReport`` with per-file counts and the
``ChangeSet`` of client-days the derived facts must recompute. ``caseload ingest`` wraps it.
"""

from etl.ingest.pipeline import ingest_paths
from etl.ingest.results import FileResult, IngestReport

__all__ = ["FileResult", "IngestReport", "ingest_paths"]

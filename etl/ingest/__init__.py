"""Ingest: read the programs' CSV exports into the warehouse, idempotently, file by file.

``ingest_paths(engine, paths)`` returns an ``IngestReport`` with per-file counts and the
``ChangeSet`` of client-days the derived facts must recompute. ``caseload ingest`` wraps it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FileResult", "IngestReport", "ingest_paths"]
_HOMES = {"ingest_paths": "pipeline", "FileResult": "results", "IngestReport": "results"}


def __getattr__(name: str) -> Any:
    # Imported on first use: ``caseload ingest --help`` must not wait for pandas.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"etl.ingest.{_HOMES[name]}"), name)
    raise AttributeError(name)

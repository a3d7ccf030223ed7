"""Runtime settings read from the environment, in one place.

Every entry point (CLI, dashboard, Alembic, tests) asks here, so a deployment changes
behaviour with environment variables only and nothing is hard-coded in ``alembic.ini``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'caseload.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    default_time_zone: str
    chunk_rows: int
    ingest_bulk_rows: int = 100_000


def get_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        default_time_zone=os.environ.get("CASELOAD_DEFAULT_TZ", "America/New_York"),
        chunk_rows=int(os.environ.get("CASELOAD_CHUNK_ROWS", "50000")),
        # Files of at least this many rows (and at least the target table's size) load in
        # bulk mode: secondary indexes and PostgreSQL foreign keys rebuilt once at the end.
        ingest_bulk_rows=int(os.environ.get("CASELOAD_INGEST_BULK_ROWS", "100000")),
    )

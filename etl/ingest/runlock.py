"""One drop-folder run at a time, across every host that shares the warehouse.

On PostgreSQL a session-level advisory lock, held by a connection kept open for the run: every
host sees the same lock, and the server releases it when the connection ends, however the
process ended (a kill included). SQLite is one file on one host: an exclusive ``flock`` on a
lock file beside the database (or in the drop folder for an in-memory database), which the
kernel releases when the process dies.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

# A fixed advisory lock key of its own: etl.audit's chain lock is 7_311_042 and each file's
# write lock (etl.ingest.chunk) 7_311_043, which a run's loads take while it holds this one.
ADVISORY_KEY = 7_311_044
LOCK_FILE = ".run-ingest.lock"


class RunLocked(RuntimeError):
    """Another run holds the lock."""


def _lock_path(engine: Engine, drop: Path) -> Path:
    database = make_url(str(engine.url)).database
    if database and database != ":memory:":
        return Path(f"{database}{LOCK_FILE}")
    return drop / LOCK_FILE


@contextmanager
def run_lock(engine: Engine, drop: Path) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            if not got.scalar():
                raise RunLocked("another run-ingest holds the warehouse's ingest lock")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        return
    path = _lock_path(engine, drop)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"another run-ingest holds the lock file {path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the flock

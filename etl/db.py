"""Engine and session construction shared by the ETL, the dashboard and Alembic.

SQLite is the laptop warehouse and PostgreSQL the production one; the differences that matter
(foreign keys off by default, writer locking, psycopg 3 driver name) are settled here once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from etl.settings import get_settings


def normalize_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at psycopg 3, the only driver we install."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for ``url``. Bound parameters are names, notes and phone numbers, so they are
    kept out of SQLAlchemy's exception messages and SQL log lines (``hide_parameters``).
    JSON columns (every risk score's reasons) are read with ``json_loads``."""
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("json_deserializer", json_loads)
    url = normalize_url(url or get_settings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def json_loads(data: str | bytes | memoryview):
    """A stored JSON value, parsed by orjson: the standard library's decoder took about 4% of
    the client page's callback on a year of scores. What orjson refuses and the standard
    library reads (NaN, integers past 64 bits, written by ``json.dumps``) still reads."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the dashboard read while an ingest writes; foreign keys are off unless asked.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session

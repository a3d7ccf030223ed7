"""Shared fixtures: a clean, migrated warehouse on every database under test.

Database tests run on SQLite always and on PostgreSQL when ``CASELOAD_TEST_POSTGRES_URL``
points at a server (``.ci/run`` starts one and sets it). ``--db sqlite|postgresql|all``
narrows or widens the choice. Each PostgreSQL test run gets a database of its own, created
once and emptied before every test, so parallel runs and developers never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from etl.db import make_engine
from etl.models import Base

PG_ENV = "CASELOAD_TEST_POSTGRES_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="all",
        choices=["sqlite", "postgresql", "all"],
        help="Databases to run database tests on (postgresql needs " + PG_ENV + ").",
    )


def backends(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--db")
    have_pg = bool(os.environ.get(PG_ENV))
    if chosen == "postgresql" and not have_pg:
        raise pytest.UsageError(f"--db postgresql needs {PG_ENV} set to a server URL")
    if chosen == "sqlite" or not have_pg:
        return ["sqlite"]
    return ["postgresql"] if chosen == "postgresql" else ["sqlite", "postgresql"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(metafunc.config), scope="session")


class PostgresServer:
    """Creates throwaway databases on the test server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create_database(self) -> str:
        name = f"caseload_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer | None]:
    url = os.environ.get(PG_ENV)
    if not url:
        yield None
        return
    server = PostgresServer(url)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def _pg_engine(pg_server: PostgresServer | None) -> Iterator[Engine | None]:
    if pg_server is None:
        yield None
        return
    engine = make_engine(pg_server.create_database())
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory, pg_server) -> Callable[[str], str]:
    """``fresh_database(backend)``: the URL of a brand-new empty database (no schema) on that
    backend, an SQLite file in a folder of its own or a database of its own on the PostgreSQL
    test server (dropped with the others at the end of the run). Session-scoped, so that
    module- and session-scoped fixtures that seed a warehouse of their own can use it too."""

    def create(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'warehouse.db'}"
        assert pg_server is not None, f"{backend} needs {PG_ENV}"
        return pg_server.create_database()

    return create


@pytest.fixture
def database_url(backend: str, fresh_database) -> str:
    """A URL to a brand-new empty database (no schema), for migration and CLI tests."""
    return fresh_database(backend)


@pytest.fixture
def engine(backend: str, fresh_database, _pg_engine: Engine | None) -> Iterator[Engine]:
    """An engine on an empty warehouse with the full schema, on each backend under test."""
    if backend == "sqlite":
        eng = make_engine(fresh_database(backend))
        Base.metadata.create_all(eng)
        yield eng
        eng.dispose()
        return
    assert _pg_engine is not None
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with _pg_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield _pg_engine

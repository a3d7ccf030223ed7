"""``DATABASE_READ_URL``: page reads on the replica, commands and audit rows on the primary, and
the caller's own writes read back from the primary (a follow-up just logged is never missing).

The replica is a copy of the primary (``CREATE DATABASE ... TEMPLATE``) that then differs:
one client's score is changed in the copy only, so each read shows where it was served from,
and the copy never receives the writes, as a replica that lags would not yet have them."""

from __future__ import annotations

import time

import pytest
from dash_client import app_config, contact_payload, post_callback, signed_in, today_payload
from factories import add_standard_users, seed_world
from sqlalchemy import func, select, text, update

from dashboard import create_app
from dashboard.db import db
from etl.db import make_engine
from etl.models import AppAuditLog, AppFollowup, Base, FctRiskScore

REPLICA_SCORE = 1.5


@pytest.fixture(scope="module")
def two_databases(pg_server):
    if pg_server is None:
        pytest.skip("needs CASELOAD_TEST_POSTGRES_URL")
    primary_url = pg_server.create_database()
    engine = make_engine(primary_url)
    Base.metadata.create_all(engine)
    world = seed_world(engine)
    add_standard_users(engine)
    engine.dispose()
    replica_name = primary_url.rsplit("/", 1)[1] + "_replica"
    with pg_server.admin.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{replica_name}" TEMPLATE "{primary_url.rsplit("/", 1)[1]}"')
        )
    pg_server.created.append(replica_name)
    replica_url = primary_url.rsplit("/", 1)[0] + "/" + replica_name
    replica = make_engine(replica_url)
    first = sorted(world.caseloads["S-C1"])[0]
    with replica.begin() as conn:
        conn.execute(
            update(FctRiskScore)
            .where(FctRiskScore.client_key == world.clients[first])
            .values(score=REPLICA_SCORE)
        )
    primary = make_engine(primary_url)
    yield primary, replica, primary_url, replica_url, world, first
    primary.dispose()
    replica.dispose()


def _rows(client, deps, world) -> dict[str, dict]:
    response = post_callback(client, today_payload(deps, world.staff["S-C1"]))
    assert response.status_code == 200
    return {r["client_id"]: r for r in response.get_json()["response"]["today-grid"]["rowData"]}


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_reads_on_the_replica_writes_on_the_primary_and_read_your_writes(two_databases) -> None:
    primary, replica, primary_url, replica_url, world, first = two_databases
    app = create_app(
        app_config(primary_url, database_read_url=replica_url, read_your_writes_seconds=2)
    )
    try:
        ana, deps = signed_in(app, "ana")
        audit_before = _count(replica, AppAuditLog)

        rows = _rows(ana, deps, world)
        assert rows[first]["score"] == REPLICA_SCORE  # read from the replica
        assert "reached" not in str(rows[first]["followup"]).lower()

        saved = post_callback(ana, contact_payload(deps, first, note="called"))
        assert saved.status_code == 200
        # The command and its audit row went to the primary only.
        assert _count(primary, AppFollowup) == 1 and _count(replica, AppFollowup) == 0
        assert _count(replica, AppAuditLog) == audit_before

        # Ana's next reads come from the primary: her contact shows, the primary's score too.
        rows = _rows(ana, deps, world)
        assert rows[first]["score"] != REPLICA_SCORE
        assert "reached" in str(rows[first]["followup"]).lower()
        # Another session of Ana's that wrote nothing still reads the replica: the mark is in
        # the signed session of the one that wrote, not in the worker.
        other, other_deps = signed_in(app, "ana")
        assert _rows(other, other_deps, world)[first]["score"] == REPLICA_SCORE

        time.sleep(3.2)  # the read-your-writes window (2 s) is over: back on the replica
        rows = _rows(ana, deps, world)
        assert rows[first]["score"] == REPLICA_SCORE
    finally:
        db.dispose(app)


def test_without_a_replica_one_engine_serves_both(two_databases) -> None:
    _, _, primary_url, _, _, _ = two_databases
    app = create_app(app_config(primary_url))
    try:
        assert app.extensions["caseload_db_read"] is app.extensions["caseload_db"]
    finally:
        db.dispose(app)

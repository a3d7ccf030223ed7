"""/admin/loads: planted bad rows show with line, column and reason and never a direct
identifier; Retry after the roster arrives loads them; others' forged callbacks get nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dash_client import app_config, callback_payload, dependencies, login, post_callback
from factories import add_user
from sqlalchemy import func, select

from dashboard import create_app
from etl.db import make_engine
from etl.ingest.pipeline import ingest_paths
from etl.models import AppAuditLog, Base, EtlQuarantine, FctCheckin

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ingest"
PLANTED = ("Zebulon", "Quackenbush", "555-0142", "zeb@quack.example", "relapsed at the pier")
CLIENTS = (
    "client_id,program_id,counselor_id,first_name,last_name,date_of_birth,sex,zip,phone,email,"
    "admission_date,discharge_date,primary_substance,checkin_schedule\n"
)


@pytest.fixture
def warehouse(backend, tmp_path, fresh_database):
    url = fresh_database(backend)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    ingest_paths(engine, [FIXTURES / "programs.csv", FIXTURES / "staff.csv"])
    bad_clients = tmp_path / "clients.csv"
    bad_clients.write_text(
        CLIENTS + "C901,P1,S1,Zebulon,Quackenbush,1990-13-45,male,02139,555-0142,zeb@quack.example,"
        "2026-09-01,,alcohol,daily\n"
    )
    checkins = tmp_path / "checkins.csv"
    checkins.write_text(
        "checkin_id,client_id,submitted_at,craving,stress,mood,sleep_hours,sleep_quality,"
        "used_since_last,triggers,support_contact,coping,note\n"
        "K900,C900,2026-11-01T08:30:00,3,4,6,7.5,4,no,,yes,walk,relapsed at the pier\n"
    )
    ingest_paths(engine, [bad_clients, checkins])
    add_user(engine, "root", "admin", program_id="P1")
    add_user(engine, "dana", "counselor", staff_id="S1")
    add_user(engine, "sam", "supervisor", staff_id="S2")
    app = create_app(app_config(url))
    yield engine, app, tmp_path
    app.extensions["caseload_db"].dispose()
    engine.dispose()


def _call(client, deps, output, inputs, state=None):
    return post_callback(client, callback_payload(deps, output, inputs, state))


def _loads_inputs() -> dict:
    return {
        "loads-kind.value": None,
        "loads-status.value": None,
        "loads-days.start_date": None,
        "loads-days.end_date": None,
        "loads-refresh.data": 0,
    }


def _load_id(engine, kind: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(EtlQuarantine.load_id).where(EtlQuarantine.kind == kind)
        ).scalar_one()


def test_quarantine_is_shown_masked_and_retry_loads_it(warehouse) -> None:
    engine, app, tmp_path = warehouse
    client = app.test_client()
    login(client, "root")
    deps = dependencies(client)
    bodies = []

    listing = _call(client, deps, "loads-grid.rowData", _loads_inputs())
    bodies.append(listing.get_data(as_text=True))
    rows = listing.get_json()["response"]["loads-grid"]["rowData"]
    by_kind = {r["kind"]: r for r in rows}
    for r in rows:
        parts = r["inserted"] + r["updated"] + r["unchanged"] + r["rejected"] + (r["skipped"] or 0)
        assert r["read"] == parts and r["balanced"]
    assert by_kind["clients"]["rejected"] == 1 and by_kind["checkins"]["rejected"] == 1

    checkins_load = _load_id(engine, "checkins")
    shown = _call(
        client,
        deps,
        "loads-quarantine.rowData",
        {"loads-grid.selectedRows": [{"load_id": checkins_load}], "loads-refresh.data": 0},
    )
    bodies.append(shown.get_data(as_text=True))
    q = shown.get_json()["response"]["loads-quarantine"]["rowData"]
    assert [(r["line"], r["column"], r["status"]) for r in q] == [(2, "client_id", "open")]
    hint = shown.get_json()["response"]["loads-hint"]["children"]
    assert hint == f"Load {checkins_load}: 1 quarantined row, 1 still open."
    assert "unknown client_id 'C900'" in q[0]["reason"] and q[0]["value"] == "C900"

    clients_load = _load_id(engine, "clients")
    shown = _call(
        client,
        deps,
        "loads-quarantine.rowData",
        {"loads-grid.selectedRows": [{"load_id": clients_load}], "loads-refresh.data": 0},
    )
    bodies.append(shown.get_data(as_text=True))
    q = shown.get_json()["response"]["loads-quarantine"]["rowData"]
    assert [(r["line"], r["column"]) for r in q] == [(2, "date_of_birth")]
    assert q[0]["value"] in ("", "••• (identifier, hidden)")

    # The roster arrives; Retry loads the check-in, as ingest --retry-quarantine would.
    roster = tmp_path / "roster.csv"
    roster.write_text(
        CLIENTS + "C900,P1,S1,Ann,Other,1980-01-02,female,02139,,,2026-09-01,,alcohol,daily\n"
    )
    ingest_paths(engine, [roster])
    retried = _call(
        client,
        deps,
        "loads-retry-result.children",
        {"loads-retry.n_clicks": 1},
        {"loads-grid.selectedRows": [{"load_id": checkins_load}], "loads-refresh.data": 0},
    )
    bodies.append(retried.get_data(as_text=True))
    text = retried.get_json()["response"]["loads-retry-result"]["children"]
    assert text.startswith(f"Retried load {checkins_load}: read 1 = inserted 1")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(FctCheckin)).scalar_one() == 1
        retry_row = conn.execute(
            select(AppAuditLog).where(AppAuditLog.action == "ingest_retry")
        ).one()
    assert retry_row.username == "root" and retry_row.detail["inserted"] == 1
    for body in bodies:
        for planted in PLANTED:
            assert planted not in body


@pytest.mark.parametrize("who", ["dana", "sam"])
def test_forged_loads_callbacks_get_nothing_and_are_audited(warehouse, who) -> None:
    engine, app, _ = warehouse
    admin = app.test_client()
    login(admin, "root")
    deps = dependencies(admin)  # the forger copies the admin's callback list
    client = app.test_client()
    login(client, who)
    with engine.connect() as conn:
        before = conn.execute(select(func.max(AppAuditLog.event_id))).scalar_one()
    load_id = _load_id(engine, "checkins")
    for output, inputs, state in (
        ("loads-grid.rowData", _loads_inputs(), None),
        ("loads-quarantine.rowData", {"loads-grid.selectedRows": [{"load_id": load_id}]}, None),
        (
            "loads-retry-result.children",
            {"loads-retry.n_clicks": 1},
            {"loads-grid.selectedRows": [{"load_id": load_id}]},
        ),
    ):
        response = _call(client, deps, output, inputs, state)
        assert response.status_code == 204 and response.get_data() == b""
    with engine.connect() as conn:
        rows = conn.execute(
            select(AppAuditLog).where(AppAuditLog.event_id > before).order_by(AppAuditLog.event_id)
        ).all()
        open_rows = conn.execute(
            select(func.count()).where(EtlQuarantine.status == "open")
        ).scalar_one()
    assert [(r.action, r.username, r.detail["reason"]) for r in rows] == [
        ("denied", who, "missing view_audit")
    ] * 3
    assert open_rows == 2  # nothing retried
    assert json.dumps([r.detail for r in rows]).count("load") <= 3

"""/admin/audit: filtered server-side pages, the CSV of the filtered rows (audited), the last
verification and Run verify; others forging these callbacks get nothing and are audited."""

from __future__ import annotations

import csv
import io

import pytest
from dash_client import callback_payload, dependencies, login, post_callback
from sqlalchemy import func, select

from dashboard.read.audit_log import PAGE_SIZE
from etl.audit import Actor, record
from etl.models import AppAuditLog

FILTERS = {
    "audit-user.value": None,
    "audit-client.value": None,
    "audit-action.value": None,
    "audit-outcome.value": None,
    "audit-days.start_date": None,
    "audit-days.end_date": None,
}


def _state(**values) -> dict:
    return {**FILTERS, **{f"audit-{k}.value": v for k, v in values.items()}}


@pytest.fixture
def admin(app, seeded):
    with seeded.engine.begin() as conn:
        for i in range(PAGE_SIZE + 5):
            record(
                conn,
                action="view",
                actor=Actor(user_id=99, username="zoe", role="counselor"),
                client_keys=[4242, i],
                category="client_record",
                route="=HYPERLINK(1)",
            )
    client = app.test_client()
    login(client, "root")
    return client, dependencies(client)


def _page(http, deps, page_no, **filters):
    payload = callback_payload(
        deps,
        "audit-grid.rowData",
        {"audit-page.data": page_no, "audit-verified.data": 0},
        _state(**filters),
    )
    return post_callback(http, payload).get_json()["response"]


def test_filtered_pages_and_csv(admin, seeded) -> None:
    client, deps = admin
    first = _page(client, deps, 0, user="zoe", client=4242)
    rows = first["audit-grid"]["rowData"]
    assert len(rows) == PAGE_SIZE and {r["username"] for r in rows} == {"zoe"}
    assert first["audit-range"]["children"] == f"rows 1–{PAGE_SIZE} of {PAGE_SIZE + 5}"
    second = _page(client, deps, 1, user="zoe", client=4242)["audit-grid"]["rowData"]
    assert len(second) == 5 and max(r["event_id"] for r in second) < min(
        r["event_id"] for r in rows
    )
    assert _page(client, deps, 0, client=424)["audit-range"]["children"].startswith("no rows")

    payload = callback_payload(
        deps, "audit-download.data", {"audit-csv.n_clicks": 1}, _state(user="zoe", action="view")
    )
    data = post_callback(client, payload).get_json()["response"]["audit-download"]["data"]
    lines = list(csv.DictReader(io.StringIO(data["content"])))
    assert len(lines) == PAGE_SIZE + 5 and lines[0]["route"] == "'=HYPERLINK(1)"
    with seeded.engine.connect() as conn:
        export = conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.action == "export")
            .order_by(AppAuditLog.event_id.desc())
        ).first()
    assert export.username == "root" and export.detail["rows"] == PAGE_SIZE + 5
    assert export.detail["username"] == "zoe"


def test_run_verify_shows_the_result(admin, seeded) -> None:
    client, deps = admin
    payload = callback_payload(
        deps, "audit-verified.data", {"audit-verify.n_clicks": 1}, {"audit-verified.data": 0}
    )
    assert post_callback(client, payload).get_json()["response"]["audit-verified"]["data"] == 1
    shown = post_callback(
        client,
        callback_payload(deps, "audit-verification.children", {"audit-verified.data": 1}),
    ).get_json()["response"]["audit-verification"]["children"]
    assert "by root: intact" in shown


@pytest.mark.parametrize("who", ["ana", "carla"])
def test_forged_audit_callbacks_get_nothing(admin, app, seeded, who) -> None:
    _, deps = admin
    client = app.test_client()
    login(client, who)
    with seeded.engine.connect() as conn:
        before = conn.execute(select(func.max(AppAuditLog.event_id))).scalar_one()
    forged = [
        callback_payload(deps, "audit-grid.rowData", {"audit-page.data": 0}, FILTERS),
        callback_payload(deps, "audit-download.data", {"audit-csv.n_clicks": 1}, FILTERS),
        callback_payload(deps, "audit-verified.data", {"audit-verify.n_clicks": 1}),
        callback_payload(deps, "audit-verification.children", {"audit-verified.data": 1}),
    ]
    for payload in forged:
        response = post_callback(client, payload)
        assert response.status_code == 204 and response.get_data() == b""
    with seeded.engine.connect() as conn:
        rows = conn.execute(select(AppAuditLog).where(AppAuditLog.event_id > before)).all()
    assert [(r.action, r.username) for r in rows] == [("denied", who)] * 4


def test_an_admin_signs_in_to_their_first_page_not_a_missing_one(app, seeded) -> None:
    client = app.test_client()
    response = login(client, "root")
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    with seeded.engine.connect() as conn:
        last = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id.desc())).first()
    assert last.action == "login"  # no denial for a page the admin was sent to

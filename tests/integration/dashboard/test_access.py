"""Scoping at the server: a matrix of roles and clients through the URL and through forged
callback payloads. Refusals return nothing about the client and leave an audit row."""

from __future__ import annotations

import json

import pytest
from dash_client import (
    callback_payload,
    contact_payload,
    post_callback,
    record_payload,
    signed_in,
    today_payload,
)
from sqlalchemy import func, select

from etl.models import AppAuditLog, AppFollowup

# user -> the clients they may open (others' must be refused)
MATRIX = [
    ("ana", "C-0001", True),  # own caseload
    ("ana", "C-0009", False),  # another counselor, same program
    ("ana", "C-0014", False),  # another program
    ("ben", "C-0009", True),
    ("ben", "C-0001", False),
    ("carla", "C-0001", True),  # supervisor, own program
    ("carla", "C-0009", True),
    ("carla", "C-0014", False),  # supervisor of another program
    ("erin", "C-0014", True),
    ("erin", "C-0001", False),
]
# Admins read no client records: the kit refuses their callbacks before any id is looked at
# (test_admin_sees_no_caseload and tests/integration/dashboard/test_kit.py).


def _signed_in(app, username):
    client, deps = signed_in(app, username)
    return client, deps


def _client_callback(client, deps, client_id):
    return post_callback(client, record_payload(deps, client_id, "all"))


def _audit_rows(seeded, action):
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.action == action)
            .order_by(AppAuditLog.event_id.desc())
        ).all()


@pytest.mark.parametrize("username, client_id, allowed", MATRIX)
def test_client_record_callback_is_scoped(app, seeded, username, client_id, allowed) -> None:
    client, deps = _signed_in(app, username)
    response = _client_callback(client, deps, client_id)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    name = seeded.world.names[client_id]
    key = seeded.world.clients[client_id]
    latest = _audit_rows(seeded, "view" if allowed else "denied")[0]
    assert latest.username == username and latest.client_keys == [key]
    if allowed:
        assert name in body
        assert latest.category == "client_record"
    else:
        assert name not in body
        assert "No client record to show." in body
        for other in seeded.world.names.values():
            assert other not in body
        data = response.get_json()["response"]
        assert data["client-charts"]["children"] is None
        assert data["client-range-box"]["style"] == {"display": "none"}  # no picker either
        assert data["client-followups"]["children"] is None
        assert latest.outcome == "denied"


def test_refused_and_unknown_ids_look_the_same(app, seeded) -> None:
    client, deps = _signed_in(app, "ana")
    refused = _client_callback(client, deps, "C-0014").get_json()
    unknown = _client_callback(client, deps, "C-9999").get_json()
    assert refused == unknown


@pytest.mark.parametrize(
    "username, client_id, allowed",
    [("ana", "C-0001", True), ("ana", "C-0009", False), ("carla", "C-0014", False)],
)
def test_client_url_routes_to_the_same_check(app, seeded, username, client_id, allowed) -> None:
    """The URL only carries the id: the page HTML holds no data and the routing callback
    hands the id to the record callback, which checks it."""
    client, deps = _signed_in(app, username)
    page = client.get(f"/client/{client_id}").get_data(as_text=True)
    assert seeded.world.names[client_id] not in page
    routed = callback_payload(
        deps,
        "_pages_content.children",
        {"_pages_location.pathname": f"/client/{client_id}", "_pages_location.search": ""},
    )
    layout = post_callback(client, routed)
    assert layout.status_code == 200
    assert seeded.world.names[client_id] not in layout.get_data(as_text=True)
    store = json.dumps(layout.get_json())
    assert f'"data": "{client_id}"' in store
    body = _client_callback(client, deps, client_id).get_data(as_text=True)
    assert (seeded.world.names[client_id] in body) is allowed


@pytest.mark.parametrize("forged", ["C-0001 OR 1=1", "", None, 12, ["C-0001"], {"id": 1}])
def test_malformed_client_ids_are_refused(app, seeded, forged) -> None:
    client, deps = _signed_in(app, "carla")
    body = _client_callback(client, deps, forged).get_data(as_text=True)
    assert "No client record to show." in body
    assert all(n not in body for n in seeded.world.names.values())


def _today(client, deps, counselor_key):
    return post_callback(client, today_payload(deps, counselor_key))


@pytest.mark.parametrize(
    "username, staff_id, allowed",
    [
        ("ana", "S-C1", True),
        ("ana", "S-C2", False),
        ("carla", "S-C2", True),
        ("carla", "S-C3", False),
        ("dev", "S-C1", False),
    ],
)
def test_today_caseload_is_scoped(app, seeded, username, staff_id, allowed) -> None:
    client, deps = _signed_in(app, username)
    response = _today(client, deps, seeded.world.staff[staff_id])
    rows = response.get_json()["response"]["today-grid"]["rowData"]
    expected = set(seeded.world.caseloads[staff_id]) if allowed else set()
    assert {r["client_id"] for r in rows} == expected
    if not allowed:
        latest = _audit_rows(seeded, "denied")[0]
        assert latest.username == username and latest.detail["reason"] == "caseload outside scope"


def test_supervisor_picker_lists_only_their_program(app, seeded) -> None:
    client, deps = _signed_in(app, "carla")
    payload = callback_payload(deps, "today-counselor.options", {"today-page.id": "today-page"})
    data = post_callback(client, payload).get_json()["response"]
    keys = {o["value"] for o in data["today-counselor"]["options"]}
    assert keys == {seeded.world.staff["S-C1"], seeded.world.staff["S-C2"]}
    assert "d-flex" in data["today-counselor-wrap"]["className"]


def test_forged_followup_for_another_counselors_client_writes_nothing(app, seeded) -> None:
    client, deps = _signed_in(app, "ana")
    with seeded.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(AppFollowup)).scalar()
    payload = contact_payload(deps, "C-0009", note="forged")
    response = post_callback(client, payload)
    assert response.status_code == 200
    assert "not saved" in response.get_data(as_text=True)
    with seeded.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(AppFollowup)).scalar()
    assert after == before
    denial = _audit_rows(seeded, "denied")[0]
    assert denial.client_keys == [seeded.world.clients["C-0009"]]
    assert denial.detail["action"] == "followup"


def test_admin_sees_no_caseload(app, seeded) -> None:
    """No caseload permission: every data callback answers nothing (204) with one denial."""
    client, deps = _signed_in(app, "root")
    before = len(_audit_rows(seeded, "denied"))
    payload = callback_payload(deps, "today-counselor.options", {"today-page.id": "today-page"})
    picker = post_callback(client, payload)
    assert picker.status_code == 204 and picker.get_data() == b""
    response = _today(client, deps, seeded.world.staff["S-C1"])
    assert response.status_code == 204 and response.get_data() == b""
    record = _client_callback(client, deps, "C-0001")
    assert record.status_code == 204 and record.get_data() == b""
    denials = _audit_rows(seeded, "denied")
    assert len(denials) == before + 3
    assert {d.detail["reason"] for d in denials[:3]} == {"missing view_caseload"}
    assert all(d.username == "root" for d in denials[:3])

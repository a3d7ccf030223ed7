"""Audit completeness: every client record view, Today list, denial, login, failed login,
logout and export is one row saying who (user, role, program, hashed session), when and from
where, with client keys and no PHI values; the chain verifies afterwards."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import stat
import time

from click.testing import CliRunner
from dash_client import callback_payload, client_from, dependencies, login, post_callback
from factories import PASSWORD, url_of
from sqlalchemy import func, select

from dashboard.audit import session_ref
from etl.audit import verify_chain
from etl.cli import main
from etl.models import AppAuditLog, FctRiskScore


def _events_after(seeded, event_id: int) -> list:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.event_id > event_id)
            .order_by(AppAuditLog.event_id)
        ).all()


def _high_water(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(AppAuditLog.event_id), 0))).scalar()


def _recent(event) -> bool:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return abs((now - event.occurred_at).total_seconds()) < 120


def test_a_session_is_audited_end_to_end(app, seeded) -> None:
    start = _high_water(seeded)
    client = client_from(app, "10.44.0.7")
    assert login(client, "ana", "wrong-password-x").status_code == 401
    assert login(client, "ana").status_code == 302
    with app.test_request_context():
        from flask import session

        with client.session_transaction() as stored:
            session["sid"] = stored["sid"]
        expected_ref = session_ref()
    deps = dependencies(client)
    today = callback_payload(
        deps,
        "today-grid.rowData",
        {"today-counselor.value": seeded.world.staff["S-C1"], "today-refresh.data": 0},
    )
    post_callback(client, today)
    for client_id in ("C-0001", "C-0009"):
        record = callback_payload(
            deps,
            "client-header.children",
            {"client-id.data": client_id, "client-range.value": "30"},
        )
        post_callback(client, record)
    client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value})

    events = _events_after(seeded, start)
    assert [(e.action, e.outcome) for e in events] == [
        ("login_failed", "denied"),
        ("login", "success"),
        ("view", "success"),  # the Today list
        ("view", "success"),  # C-0001, her own
        ("denied", "denied"),  # C-0009, a colleague's
        ("logout", "success"),
    ]
    failed, signed_in, caseload, record, denied, signed_out = events
    assert failed.username == "ana" and failed.detail == {"reason": "bad password"}
    assert failed.user_id is None and failed.session_ref is None
    for event in (signed_in, caseload, record, denied, signed_out):
        assert event.user_id == seeded.users["ana"] and event.username == "ana"
        assert event.role == "counselor" and event.program_key == seeded.world.programs["P-EAST"]
        assert event.session_ref == expected_ref and len(expected_ref) == 32
    for event in events:
        assert event.source_address == "10.44.0.7" and _recent(event)
    assert set(caseload.client_keys) == {
        seeded.world.clients[c]
        for c in seeded.world.caseloads["S-C1"]
        if c not in seeded.world.discharged
    }
    assert caseload.category == "caseload"
    assert record.client_keys == [seeded.world.clients["C-0001"]]
    assert record.category == "client_record" and record.route == "/client/C-0001"
    assert denied.client_keys == [seeded.world.clients["C-0009"]]
    assert denied.detail["reason"] == "client outside scope"
    assert verify_chain(seeded.engine) is None


def test_unknown_user_failures_record_no_typed_name(app, seeded) -> None:
    start = _high_water(seeded)
    login(client_from(app, "10.44.0.8"), "typo-or-password?", "wrong-password-x")
    (event,) = _events_after(seeded, start)
    assert event.action == "login_failed" and event.username is None
    assert event.detail == {"reason": "unknown user"}


def test_idle_logout_and_missing_permission_are_audited(app, seeded) -> None:
    client = client_from(app, "10.44.0.9")
    login(client, "root")
    deps = dependencies(client)
    start = _high_water(seeded)
    record = callback_payload(
        deps, "client-header.children", {"client-id.data": "C-0001", "client-range.value": "30"}
    )
    post_callback(client, record)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 3600
    assert client.get("/_dash-layout").status_code == 401
    denied, logout = _events_after(seeded, start)
    assert denied.action == "denied" and denied.username == "root" and denied.role == "admin"
    assert denied.detail["reason"] == "missing view_caseload"
    # Refused by the kit before the id is read: no client named (an admin reads no records).
    assert denied.client_keys is None
    assert logout.action == "logout" and logout.detail == {"reason": "idle timeout"}
    assert logout.username == "root" and logout.source_address == "10.44.0.9"


def test_a_forged_request_from_a_signed_in_session_is_audited(app, seeded) -> None:
    client = client_from(app, "10.44.0.10")
    login(client, "ben")
    deps = dependencies(client)
    start = _high_water(seeded)
    payload = callback_payload(deps, "today-counselor.options", {"today-page.id": "today-page"})
    response = client.post(
        "/_dash-update-component", json=payload, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400
    (event,) = _events_after(seeded, start)
    assert event.action == "denied" and event.username == "ben"
    assert event.detail["reason"] == "csrf token missing or invalid"
    assert event.route.startswith("callback:") and event.source_address == "10.44.0.10"


def test_request_supplied_text_is_cut_to_the_columns(app_factory, seeded) -> None:
    """A proxy count set one too high makes the client's own X-Forwarded-For entry the source
    address: whatever its length, sign-in and its audit row still work (PostgreSQL enforces
    the column width)."""
    app = app_factory(proxy_hops=2)
    client = client_from(app, "10.0.0.2")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "f" * 300 + ", 10.0.0.1"
    start = _high_water(seeded)
    assert login(client, "erin", PASSWORD).status_code == 302
    (event,) = _events_after(seeded, start)
    assert event.action == "login" and event.source_address == "f" * 64
    assert verify_chain(seeded.engine) is None


def _export(seeded, out):
    url = url_of(seeded.engine)
    return CliRunner().invoke(main, ["scores", "--out", str(out), "--database-url", url])


def test_scores_export_is_audited_and_private(seeded, tmp_path) -> None:
    start = _high_water(seeded)
    out = tmp_path / "scores.csv"
    old_umask = os.umask(0o022)
    try:
        result = _export(seeded, out)
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with seeded.engine.connect() as conn:
        scored = set(conn.execute(select(FctRiskScore.client_key).distinct()).scalars())
        rows = conn.execute(select(func.count()).select_from(FctRiskScore)).scalar_one()
    (event,) = _events_after(seeded, start)
    assert event.action == "export" and event.category == "risk_scores"
    assert event.username == f"cli:{getpass.getuser()}"
    assert event.source_address == socket.gethostname()[:64] and _recent(event)
    assert set(event.client_keys) == scored and event.detail["rows"] == rows
    names = "\n".join(seeded.world.names.values())
    assert not any(v for v in map(str, event.detail.values()) if v and v in names)
    assert verify_chain(seeded.engine) is None


def test_scores_export_does_not_follow_a_planted_link(seeded, tmp_path) -> None:
    """In a shared directory another user can plant ``.<name>.partial`` as a link to a file of
    theirs; the export must not write identified data through it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    trap = tmp_path / "attacker-owned.csv"
    trap.write_text("")
    (shared / ".scores.csv.partial").symlink_to(trap)
    result = _export(seeded, shared / "scores.csv")
    assert result.exit_code == 0, result.output
    assert trap.read_text() == ""
    assert (shared / "scores.csv").read_text().startswith("client_id,")
    assert not (shared / ".scores.csv.partial").exists()


def test_request_text_cannot_forge_log_lines(app, seeded, caplog) -> None:
    """A refused callback's ``output`` is whatever its sender wrote; it reaches the log and the
    audit route only as one line of printable text."""
    client = client_from(app, "10.44.0.11")
    login(client, "ben")
    start = _high_water(seeded)
    for body in ({"output": "x\nERROR unhandled FAKE ENTRY\r\n\x1b[31m"}, [1, 2], "text"):
        response = client.post(
            "/_dash-update-component", json=body, headers={"X-CSRFToken": "forged"}
        )
        assert response.status_code == 400
    lines = caplog.text.splitlines()
    assert not any(line.startswith("ERROR unhandled FAKE") for line in lines)
    assert "\x1b" not in caplog.text
    events = _events_after(seeded, start)
    assert [e.action for e in events] == ["denied"] * 3
    assert events[0].route == "callback:x?ERROR unhandled FAKE ENTRY???[31m"
    assert events[1].route == events[2].route == "callback:"

"""Sessions that end without a sign-out leave an audit row: the idle timeout Flask enforces by
refusing an old cookie, and a dead cookie (after sign-out) replayed."""

from __future__ import annotations

import time

from dash_client import login
from sqlalchemy import select

from etl.audit import verify_chain
from etl.models import AppAuditLog


def _rows_after(seeded, event_id: int) -> list:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.event_id > event_id)
            .order_by(AppAuditLog.event_id)
        ).all()


def _last_id(seeded) -> int:
    with seeded.engine.connect() as conn:
        return (
            conn.execute(
                select(AppAuditLog.event_id).order_by(AppAuditLog.event_id.desc())
            ).scalar()
            or 0
        )


def test_replayed_dead_cookie_is_denied_and_audited_once_per_request(app, seeded) -> None:
    c = app.test_client()
    login(c, "carla")
    stolen = c.get_cookie("caseload_session").value
    c.post("/logout", data={"csrf_token": c.get_cookie("_csrf_token").value})
    before = _last_id(seeded)
    thief = app.test_client()
    thief.set_cookie("caseload_session", stolen)
    assert thief.get("/_dash-layout").status_code == 401
    rows = _rows_after(seeded, before)
    assert [(r.action, r.outcome, r.user_id, r.detail["reason"]) for r in rows] == [
        ("denied", "denied", seeded.users["carla"], "dead session cookie replayed")
    ]
    assert rows[0].route == "/_dash-layout"
    # The refusal deletes the cookie: a browser that obeys sends it no more.
    assert thief.get_cookie("caseload_session") is None
    assert verify_chain(seeded.engine) is None


def test_idle_timeout_by_cookie_age_is_audited(app_factory, seeded) -> None:
    app = app_factory(idle_timeout_minutes=0)  # any cookie older than a second is stale
    c = app.test_client()
    login(c, "ana")
    before = _last_id(seeded)
    time.sleep(2.1)
    assert c.get("/_dash-layout").status_code == 401
    rows = _rows_after(seeded, before)
    assert [(r.action, r.user_id, r.detail["reason"]) for r in rows] == [
        ("logout", seeded.users["ana"], "idle timeout")
    ]
    assert c.get("/_dash-layout").status_code == 401
    assert len(_rows_after(seeded, before)) == 1  # the cookie is gone: no second row


def test_plain_anonymous_request_writes_nothing(app, seeded) -> None:
    before = _last_id(seeded)
    assert app.test_client().get("/_dash-layout").status_code == 401
    assert _rows_after(seeded, before) == []

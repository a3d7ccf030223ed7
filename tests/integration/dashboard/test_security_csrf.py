"""CSRF and long-open tabs: forged or missing tokens change nothing, and a tab left open for
hours ends in a sign-in page (or a fresh sign-out button), never in a dead screen."""

from __future__ import annotations

import time

from dash_client import (
    callback_payload,
    contact_payload,
    csrf_cookie,
    dependencies,
    login,
    post_callback,
)
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from etl.models import AppFollowup, AppUser

HOUR = 3600


def token_issued_ago(app, client, seconds: int) -> str:
    """A Flask-WTF token for this session as it would have been issued ``seconds`` ago (what a
    form rendered back then still carries)."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    with client.session_transaction() as session:
        raw = session["csrf_token"]
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=Backdated
    )
    return serializer.dumps(raw)


def _epoch(seeded, username: str) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppUser.session_epoch).where(AppUser.username == username)
        ).scalar_one()


def _followups(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AppFollowup)).scalar_one()


def _contact(deps, client_id: str) -> dict:
    return contact_payload(deps, client_id, note="csrf probe")


def test_sign_out_from_a_tab_open_for_two_hours_still_signs_out(app, seeded) -> None:
    """The sign-out form's token is rendered once with the page; after an hour Flask-WTF
    refuses it. The user must not be left signed in behind a JSON error."""
    client = app.test_client()
    login(client, "carla")
    stale = token_issued_ago(app, client, 2 * HOUR)
    epoch = _epoch(seeded, "carla")

    response = client.post("/logout", data={"csrf_token": stale})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Sign out now" in page and 'action="/logout"' in page
    assert epoch == _epoch(seeded, "carla")  # a token it cannot verify signs nobody out
    stolen = client.get_cookie("caseload_session").value

    fresh = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/logout", data={"csrf_token": fresh})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _epoch(seeded, "carla") == epoch + 1
    assert client.get("/_dash-layout").status_code == 401
    replay = app.test_client()
    replay.set_cookie("caseload_session", stolen)
    assert replay.get("/_dash-layout").status_code == 401


def test_stale_sign_out_without_a_session_goes_to_the_login_page(app) -> None:
    client = app.test_client()
    login(client, "ben")
    stale = token_issued_ago(app, client, 2 * HOUR)
    client.delete_cookie("caseload_session")
    response = client.post("/logout", data={"csrf_token": stale})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_an_idle_two_hour_old_tab_gets_401_then_the_sign_in_page(app, seeded) -> None:
    """What the renderer sees on its next callback: 401 (which assets/session.js turns into
    /login?expired=1), not a CSRF 400 it cannot explain -- the session check comes first."""
    client = app.test_client()
    login(client, "ana")
    deps = dependencies(client)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 2 * HOUR
    stale = token_issued_ago(app, client, 2 * HOUR)
    before = _followups(seeded)
    response = client.post(
        "/_dash-update-component", json=_contact(deps, "C-0002"), headers={"X-CSRFToken": stale}
    )
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}
    assert _followups(seeded) == before
    page = client.get("/login?expired=1").get_data(as_text=True)
    assert "Your session ended. Please sign in again." in page
    script = client.get("/assets/session.js").get_data(as_text=True)
    assert "response.status === 401" in script and "/login?expired=1" in script


def test_an_active_tab_keeps_a_fresh_callback_token(app) -> None:
    """Every signed-in response re-issues the token cookie, so a tab in use for hours never
    sends an expired one."""
    client = app.test_client()
    login(client, "ana")
    deps = dependencies(client)
    payload = callback_payload(deps, "today-counselor.options", {"today-page.id": "today-page"})
    for response in (client.get("/_dash-layout"), post_callback(client, payload)):
        assert response.status_code == 200
        cookies = response.headers.getlist("Set-Cookie")
        assert any(h.startswith("_csrf_token=") for h in cookies)
    limit = app.config["WTF_CSRF_TIME_LIMIT"]
    assert limit >= app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()


def test_forged_tokens_change_nothing(app, seeded) -> None:
    client = app.test_client()
    login(client, "ana")
    deps = dependencies(client)
    before = _followups(seeded)
    payload = _contact(deps, "C-0002")
    for headers in (
        {},
        {"X-CSRFToken": ""},
        {"X-CSRFToken": "forged"},
        {"X-CSRFToken": token_issued_ago(app, client, 2 * HOUR)},
        {"X-CSRF-Token": csrf_cookie(client) + "x"},
    ):
        response = client.post("/_dash-update-component", json=payload, headers=headers)
        assert response.status_code == 400
        assert response.get_json() == {"error": "CSRF token missing or invalid"}
    # What a cross-site form can send: no header, a form body.
    form = client.post(
        "/_dash-update-component", data={"output": payload["output"], "csrf_token": "x"}
    )
    assert form.status_code == 400
    assert _followups(seeded) == before
    assert post_callback(client, payload).status_code == 200
    assert _followups(seeded) == before + 1


def test_login_and_logout_refuse_missing_or_wrong_tokens(app) -> None:
    client = app.test_client()
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(
            "/login", data={"username": "ana", "password": "correct-horse-battery", **data}
        )
        assert response.status_code == 400
        assert "The form expired" in response.get_data(as_text=True)
        assert client.get("/_dash-layout").status_code == 401
    login(client, "ana")
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post("/logout", data=data).status_code == 400
        assert client.get("/_dash-layout").status_code == 200


def test_token_cookie_flags(app_factory) -> None:
    app = app_factory(https=True)
    client = app.test_client()
    response = login(client, "ana")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("_csrf"))
    assert "SameSite=Strict" in header and "Secure" in header and "HttpOnly" not in header

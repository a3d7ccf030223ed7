"""CSRF: Dash callbacks are verified (not exempted) through the ``_csrf_token`` cookie the
renderer turns into an ``X-CSRFToken`` header; Flask forms carry the token as a field."""

from __future__ import annotations

from dash_client import (
    contact_payload,
    csrf_cookie,
    dependencies,
    login,
    post_callback,
)
from sqlalchemy import func, select

from etl.models import AppFollowup


def _contact_payload(deps, client_id):
    return contact_payload(deps, client_id, note="csrf test")


def _followups(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AppFollowup)).scalar()


def test_signed_in_responses_carry_a_readable_token_cookie(client) -> None:
    response = login(client, "ana")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("_csrf"))
    assert "HttpOnly" not in header and "SameSite=Strict" in header
    assert csrf_cookie(client)


def test_callback_without_token_is_refused_and_writes_nothing(client, seeded) -> None:
    login(client, "ana")
    deps = dependencies(client)
    before = _followups(seeded)
    missing = post_callback(client, _contact_payload(deps, "C-0002"), with_csrf=False)
    assert missing.status_code == 400
    wrong = client.post(
        "/_dash-update-component",
        json=_contact_payload(deps, "C-0002"),
        headers={"X-CSRFToken": "forged-token"},
    )
    assert wrong.status_code == 400
    assert _followups(seeded) == before

    ok = post_callback(client, _contact_payload(deps, "C-0002"))
    assert ok.status_code == 200 and "Contact logged." in ok.get_data(as_text=True)
    assert _followups(seeded) == before + 1


def test_token_from_another_session_is_refused(app, seeded) -> None:
    mallory = app.test_client()
    login(mallory, "ben")
    their_token = csrf_cookie(mallory)
    victim = app.test_client()
    login(victim, "ana")
    deps = dependencies(victim)
    response = victim.post(
        "/_dash-update-component",
        json=_contact_payload(deps, "C-0002"),
        headers={"X-CSRFToken": their_token},
    )
    assert response.status_code == 400


def test_dash_dispatch_view_is_not_exempt(app) -> None:
    csrf = app.extensions["csrf"]
    assert "dash.dash.dispatch" not in csrf._exempt_views  # noqa: SLF001


def test_logout_needs_the_token(client) -> None:
    login(client, "ana")
    assert client.post("/logout").status_code == 400
    assert client.get("/_dash-layout").status_code == 200

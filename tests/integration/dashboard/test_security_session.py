"""Sessions: what the cookie says (signed, not encrypted, so nothing about clients), its flags,
how it dies (logout, disable, password reset, idle, a maximum age), no remember-me, a fresh
session at sign-in, and the source address that throttling and the audit log trust."""

from __future__ import annotations

import base64
import json
import time
import zlib

import pytest
from dash_client import (
    callback_payload,
    client_from,
    dependencies,
    login,
    post_callback,
)
from factories import PASSWORD, add_user
from sqlalchemy import select

from dashboard.commands.users import disable_user, set_password
from etl.models import AppAuditLog

ALLOWED_SESSION_KEYS = {
    "_fresh",
    "_id",
    "_permanent",
    "_user_id",
    "csrf_token",
    "last_seen",
    "login_at",
    "sid",
}


def session_contents(client) -> dict:
    """Decode the signed cookie the way anyone holding it can (no key needed)."""
    value = client.get_cookie("caseload_session").value
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def _last(seeded, action: str):
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.action == action)
            .order_by(AppAuditLog.event_id.desc())
            .limit(1)
        ).one()


def test_session_cookie_holds_no_client_or_personal_data(app, seeded) -> None:
    client = app.test_client()
    login(client, "ana")
    deps = dependencies(client)
    record = callback_payload(
        deps, "client-header.children", {"client-id.data": "C-0001", "client-range.value": "90"}
    )
    assert seeded.world.names["C-0001"] in post_callback(client, record).get_data(as_text=True)
    contents = session_contents(client)
    assert set(contents) <= ALLOWED_SESSION_KEYS
    assert contents["_user_id"] == f"{seeded.users['ana']}:{contents['_user_id'].split(':')[1]}"
    text = json.dumps(contents)
    for needle in ("ana", "Ruiz", "C-0001", "counselor", *seeded.world.names.values()):
        assert needle not in text


@pytest.mark.parametrize("https", [False, True])
def test_cookie_flags(app_factory, https) -> None:
    app = app_factory(https=https)
    client = app.test_client()
    response = login(client, "ana")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(h for h in cookies if h.startswith("caseload_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert ("Secure" in session_cookie) is https
    assert not any(h.lower().startswith("remember_token") for h in cookies)
    page = client.get("/")
    assert ("Strict-Transport-Security" in page.headers) is https


def test_a_forged_remember_cookie_signs_nobody_in(app, seeded) -> None:
    client = app.test_client()
    client.set_cookie("remember_token", f"{seeded.users['ana']}:0|" + "0" * 128)
    assert client.get("/_dash-layout").status_code == 401


def test_sign_in_starts_a_new_session(app) -> None:
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["sid"] = "planted-by-attacker"
        session["planted"] = "x"
    login(client, "ana")
    contents = session_contents(client)
    assert contents["sid"] != "planted-by-attacker" and "planted" not in contents


@pytest.mark.parametrize("ending", ["logout", "disable", "reset"])
def test_a_copied_cookie_dies_with_the_session(app, seeded, ending) -> None:
    name = f"copy-{ending}"
    add_user(seeded.engine, name, "counselor", staff_id="S-C2")
    victim = app.test_client()
    login(victim, name)
    copied = victim.get_cookie("caseload_session").value
    if ending == "logout":
        victim.post("/logout", data={"csrf_token": victim.get_cookie("_csrf_token").value})
    else:
        with seeded.engine.begin() as conn:
            if ending == "disable":
                disable_user(conn, name)
            else:
                set_password(conn, name, "a-brand-new-password")
    thief = app.test_client()
    thief.set_cookie("caseload_session", copied)
    assert thief.get("/_dash-layout").status_code == 401
    assert thief.get("/").headers["Location"].startswith("/login")


def test_idle_session_ends_and_is_audited(app, seeded) -> None:
    client = app.test_client()
    login(client, "ben")
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 16 * 60
    assert client.get("/_dash-layout").status_code == 401
    event = _last(seeded, "logout")
    assert event.username == "ben" and event.detail == {"reason": "idle timeout"}
    assert client.get("/_dash-layout").status_code == 401


def test_an_active_session_still_ends_after_the_maximum_age(app, seeded) -> None:
    """Idle timeout alone lets whoever holds a copy of the cookie keep it alive forever by
    using it; a maximum age since sign-in bounds that."""
    client = app.test_client()
    login(client, "ben")
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 13 * 3600
        session["last_seen"] = int(time.time()) - 60
    assert client.get("/_dash-layout").status_code == 401
    event = _last(seeded, "logout")
    assert event.username == "ben" and event.detail == {"reason": "session lifetime"}

    login(client, "ben")
    with client.session_transaction() as session:
        del session["login_at"]  # a session that cannot say when it began
    assert client.get("/_dash-layout").status_code == 401
    assert app.config["CASELOAD_SESSION_MAX_SECONDS"] == 12 * 3600


def _addresses(seeded) -> set[str]:
    """The addresses sign-in attempts were counted against, as the audit log recorded them."""
    with seeded.engine.connect() as conn:
        return set(
            conn.execute(
                select(AppAuditLog.source_address).where(
                    AppAuditLog.action.in_(("login", "login_failed"))
                )
            ).scalars()
        )


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app_factory, seeded) -> None:
    app = app_factory(login_max_failures_per_address=3)
    for i in range(3):
        client = client_from(app, "10.66.0.1")
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{i}"
        assert login(client, f"nobody{i}", "wrong-password-x").status_code == 401
    client = client_from(app, "10.66.0.1")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.200"
    assert login(client, "erin", PASSWORD).status_code == 401  # the address is throttled
    assert not any(a.startswith("192.0.2.") for a in _addresses(seeded))
    assert _last(seeded, "login_failed").source_address == "10.66.0.1"


def test_behind_one_proxy_only_the_proxys_entry_counts(app_factory, seeded) -> None:
    """With one trusted proxy the right-most X-Forwarded-For entry (the one the proxy wrote)
    is the client; whatever the client put in front of it is ignored."""
    app = app_factory(proxy_hops=1, login_max_failures_per_address=3)
    for i in range(3):
        client = client_from(app, "10.0.0.2")  # the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{i}, 203.0.113.7"
        assert login(client, f"nobody{i}", "wrong-password-x").status_code == 401
    assert _last(seeded, "login_failed").source_address == "203.0.113.7"
    client = client_from(app, "10.0.0.2")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99, 203.0.113.7"
    assert login(client, "erin", PASSWORD).status_code == 401
    other = client_from(app, "10.0.0.2")
    other.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.8"
    assert login(other, "erin", PASSWORD).status_code == 302
    assert _last(seeded, "login").source_address == "203.0.113.8"
    assert not any(a.startswith("198.51.100.") for a in _addresses(seeded))

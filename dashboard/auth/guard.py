"""One deny-by-default guard in front of every route, Dash's included.

Only the endpoints in ``PUBLIC_ENDPOINTS`` answer without a session: the login form and
static code (Dash's component bundles, the assets folder, the vendored Bootstrap). Matching on
the endpoint Flask routed to, not on the path, means a route added later (a Dash hook, a new
page) is private unless someone adds it here on purpose. Requests for data (Dash's JSON
endpoints, any POST) get 401 JSON; page loads are redirected to the login form.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user

PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.login",
        "vendor.static",
        "_dash_assets.static",
        # Dash names its endpoints after their rules.
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        "/_favicon.ico",
    }
)
JSON_PATH_PREFIXES = ("/_dash-", "/_reload-hash")
# Plain HTML forms posted by the browser itself: a refusal is a trip to the login page, not a
# JSON body the user would be left looking at (sign-out after the session already ended).
FORM_ENDPOINTS = frozenset({"auth.logout"})


def wants_json() -> bool:
    if request.path.startswith(JSON_PATH_PREFIXES):
        return True
    return request.method != "GET" and request.endpoint not in FORM_ENDPOINTS


def refuse():
    if wants_json():
        response = jsonify({"error": "authentication required"})
        response.status_code = 401
        return response
    if request.method != "GET":
        return redirect(url_for("auth.login"))
    next_path = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=next_path))


def _expired() -> str | None:
    """Why this session has ended (idle too long, or signed in too long ago), or None."""
    now = time.time()
    last_seen = session.get("last_seen")
    idle_limit = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if last_seen is None or now - float(last_seen) > idle_limit:
        return "idle timeout"
    signed_in_at = session.get("login_at")
    if (
        signed_in_at is None
        or now - float(signed_in_at) > current_app.config["CASELOAD_SESSION_MAX_SECONDS"]
    ):
        return "session lifetime"
    return None


def _dead_session() -> tuple[str, int | None] | None:
    """Why a request that names a user is not signed in, or None for a plain anonymous one.

    Flask drops a cookie older than the idle limit before anyone sees it, and Flask-Login a
    user id whose session epoch is gone (signed out, password reset, disabled): both leave an
    anonymous request, so the core never audited them."""
    from dashboard.auth.user import parse_session_id

    if "_user_id" in session:
        parsed = parse_session_id(session["_user_id"])
        return "dead session cookie replayed", parsed[0] if parsed else None
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if not cookie or serializer is None:
        return None
    try:
        stale = serializer.loads(cookie)  # signature checked, age not
    except Exception:
        return None
    parsed = parse_session_id(stale.get("_user_id", "")) if isinstance(stale, dict) else None
    return ("idle timeout", parsed[0]) if parsed else None


def guard():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        dead = _dead_session()
        if dead:
            from dashboard.audit import audit_event

            reason, user_id = dead
            action, outcome = (
                ("logout", "success") if reason == "idle timeout" else ("denied", "denied")
            )
            audit_event(action, outcome=outcome, user_id=user_id, detail={"reason": reason})
            session.clear()  # the response deletes the cookie: one row per dead session
        session.pop("last_seen", None)
        return refuse()
    reason = _expired()
    if reason:
        from dashboard.audit import audit_event

        audit_event("logout", detail={"reason": reason})
        logout_user()
        session.clear()
        return refuse()
    session.permanent = True
    session["last_seen"] = int(time.time())
    return _password_change_first()


# Pages a user holding a temporary password may load; Dash's JSON endpoints are held back by
# the callback kit instead (only the account form's and the shell's callbacks answer).
PASSWORD_CHANGE_PATHS = frozenset({"/account", "/logout"})


def _password_change_first():
    """A temporary password is changed before anything else: any other page load goes to
    ``/account``."""
    if not getattr(current_user, "must_change_password", False):
        return None
    if request.method == "GET" and not wants_json() and request.path not in PASSWORD_CHANGE_PATHS:
        return redirect("/account")
    return None


def install_guard(app: Flask) -> None:
    app.before_request(guard)

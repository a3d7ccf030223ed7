"""The login form and logout, as plain Flask views (no Dash, no JavaScript needed).

Every failure answers with the same message, whether the name exists, the password is wrong,
the account is disabled or the account or address is throttled; the audit log and the attempt
table keep the difference for administrators.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select, update

from dashboard.auth.passwords import hash_password, needs_rehash, verify_or_burn
from dashboard.auth.throttle import (
    ThrottlePolicy,
    clear_user_failures,
    is_throttled,
    normalise_username,
    record_failure,
)
from dashboard.auth.user import load_current_user
from dashboard.db import db
from etl.audit import record
from etl.models import AppUser

bp = Blueprint("auth", __name__)

GENERIC_FAILURE = "Sign-in failed. Check your username and password, or try again later."


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: no scheme, no host, no protocol-relative ``//``."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or target.startswith("/login") or target.startswith("/logout"):
        return "/"
    return target


def _policy() -> ThrottlePolicy:
    cfg = current_app.config
    return ThrottlePolicy(
        window=dt.timedelta(minutes=cfg["CASELOAD_LOGIN_WINDOW_MINUTES"]),
        max_per_user=cfg["CASELOAD_LOGIN_MAX_FAILURES_USER"],
        max_per_address=cfg["CASELOAD_LOGIN_MAX_FAILURES_ADDRESS"],
    )


def _render(message: str | None = None, status: int = 200, username: str = ""):
    return (
        render_template(
            "login.html",
            message=message,
            username=username,
            next_path=safe_next(request.values.get("next")),
            expired=request.args.get("expired") == "1",
        ),
        status,
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        return _render()

    from dashboard.audit import actor_from_request

    username = normalise_username(request.form.get("username", ""))
    password = request.form.get("password", "")
    address = request.remote_addr or "unknown"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    with db.engine.begin() as conn:
        throttled = is_throttled(conn, _policy(), username, address, now)
        user_row = conn.execute(
            select(AppUser.user_id, AppUser.password_hash, AppUser.is_active).where(
                AppUser.username == username
            )
        ).first()
        # One Argon2 verification whether or not the name exists, so timing does not tell.
        # A throttled attempt is refused without one: throttling treats unknown names exactly
        # like real ones (so skipping reveals nothing), and a flood of attempts from a throttled
        # address or against a locked name must not cost 64 MiB of hashing each.
        password_ok = not throttled and verify_or_burn(
            user_row.password_hash if user_row else None, password
        )
        ok = bool(user_row and user_row.is_active and password_ok and not throttled and username)
        if not ok:
            record_failure(conn, username or "-", address, now)
            reason = (
                "throttled"
                if throttled
                else "unknown user"
                if user_row is None
                else "disabled"
                if not user_row.is_active
                else "bad password"
            )
            record(
                conn,
                action="login_failed",
                actor=actor_from_request(username if user_row else None),
                outcome="denied",
                route="/login",
                category="authentication",
                detail={"reason": reason},
            )
    if not ok:
        return _render(GENERIC_FAILURE, status=401, username=username)

    with db.engine.begin() as conn:
        clear_user_failures(conn, username)
        values: dict = {"last_login_at": now}
        if needs_rehash(user_row.password_hash):
            values["password_hash"] = hash_password(password)
        conn.execute(update(AppUser).where(AppUser.user_id == user_row.user_id).values(**values))
        user = load_current_user(conn, user_row.user_id, None)
    # A fresh session on every login: nothing from before sign-in carries over.
    session.clear()
    session["sid"] = secrets.token_urlsafe(24)
    session["last_seen"] = session["login_at"] = int(now.replace(tzinfo=dt.UTC).timestamp())
    session.permanent = True
    login_user(user, remember=False)
    with db.engine.begin() as conn:
        record(
            conn,
            action="login",
            actor=actor_from_request(),
            route="/login",
            category="authentication",
        )
    from dashboard.kit import home_path

    return redirect(home_path(safe_next(request.form.get("next"))))


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session here and everywhere: the epoch bump voids every copy of the cookie."""
    from dashboard.audit import actor_from_request

    if current_user.is_authenticated:
        with db.engine.begin() as conn:
            record(
                conn,
                action="logout",
                actor=actor_from_request(),
                route="/logout",
                category="authentication",
            )
            conn.execute(
                update(AppUser)
                .where(AppUser.user_id == current_user.user_id)
                .values(session_epoch=AppUser.session_epoch + 1)
            )
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """A stale login form gets a fresh one, a stale sign-out button a fresh one too (the token in
    the page's sign-out form is an hour old after an hour); anything else gets a bare 400, and
    an audited denial when it came with a session."""
    from flask import jsonify

    if request.endpoint == "auth.login":
        return _render("The form expired. Please sign in again.", status=400)
    if request.endpoint == "auth.logout":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("logout.html"), 400
    if current_user.is_authenticated:
        # A signed-in session sending a request it did not get a token for: worth a record.
        from dashboard.audit import audit_denied

        audit_denied(reason="csrf token missing or invalid")
    response = jsonify({"error": "CSRF token missing or invalid"})
    response.status_code = 400
    return response

"""The login form and logout, as plain Flask views (no Dash, no JavaScript needed).

Every failure answers with the same message, whether the name exists, the password is wrong,
the account is disabled or the account or address is throttled; the audit log keeps the
difference for administrators. A sign-in reserves its attempt first (``throttle.reserve``),
then takes one of the worker's few hashing slots, or gets 429 and hands the reservation back.
"""

from __future__ import annotations

import datetime as dt
import logging
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

from dashboard.auth.hash_gate import hash_gate
from dashboard.auth.passwords import hash_password, needs_rehash, verify_or_burn
from dashboard.auth.throttle import (
    Reservation,
    ThrottlePolicy,
    cancel,
    locked,
    normalise_username,
    reserve,
    settle_success,
    utcnow,
)
from dashboard.auth.user import load_current_user
from dashboard.db import db
from etl.audit import record
from etl.models import AppUser

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

GENERIC_FAILURE = "Sign-in failed. Check your username and password, or try again later."
BUSY = "The server is busy signing other people in. Please try again in a moment."


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


def throttle_policy() -> ThrottlePolicy:
    cfg = current_app.config
    return ThrottlePolicy(
        window=dt.timedelta(minutes=cfg["CASELOAD_LOGIN_WINDOW_MINUTES"]),
        max_per_pair=cfg["CASELOAD_LOGIN_MAX_FAILURES_USER"],
        max_per_address=cfg["CASELOAD_LOGIN_MAX_FAILURES_ADDRESS"],
        account_backoff_after=cfg["CASELOAD_LOGIN_ACCOUNT_BACKOFF_AFTER"],
        backoff_base_seconds=cfg["CASELOAD_LOGIN_BACKOFF_BASE_SECONDS"],
        backoff_max_seconds=cfg["CASELOAD_LOGIN_BACKOFF_MAX_SECONDS"],
        known_address_for=dt.timedelta(days=cfg["CASELOAD_LOGIN_KNOWN_ADDRESS_DAYS"]),
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


def _failed(username: str, user_row, reason: str, detail: dict | None = None) -> None:
    from dashboard.audit import actor_from_request

    with db.engine.begin() as conn:
        record(
            conn,
            action="login_failed",
            actor=actor_from_request(username if user_row else None),
            outcome="denied",
            route="/login",
            category="authentication",
            detail={"reason": reason, **(detail or {})},
        )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            from dashboard.kit import home_path

            return redirect(home_path(safe_next(request.args.get("next"))))
        return _render()

    return _attempt(normalise_username(request.form.get("username", "")))


def _attempt(username: str):
    """Reserve, then hash, then settle. Every failure answers with the same message, whether
    the name exists, the password is wrong, the account is disabled or a limit was reached."""
    password = request.form.get("password", "")
    address = (request.remote_addr or "unknown")[:64]
    now = utcnow()
    policy = throttle_policy()

    with locked(db.engine) as conn:
        reservation = reserve(conn, policy, username, address, now)
        user_row = conn.execute(
            select(AppUser.user_id, AppUser.password_hash, AppUser.is_active).where(
                AppUser.username == username
            )
        ).first()
    if not reservation.granted:
        if reservation.first_refusal:
            # One row per throttled key and window; later refusals only add to the counter.
            _failed(username, user_row, "throttled", {"limit": reservation.limit})
        return _render(GENERIC_FAILURE, status=401, username=username)

    gate = hash_gate()
    if not gate.try_enter(address):
        # No hashing slot: the reservation is handed back, so this counts for nothing, and
        # nothing is audited (a flood must not become a flood of audit rows); the log gets one
        # line a minute at most.
        with locked(db.engine) as conn:
            cancel(conn, reservation, username, address, now)
        refused = gate.refusals_to_log()
        if refused:
            log.warning(
                "POST /login refused with 429: password checks at capacity in this worker "
                "(%d refused since the last report)",
                refused,
            )
        body, status = _render(BUSY, status=429, username=username)
        return body, status, {"Retry-After": "1"}
    try:
        # One Argon2 verification whether or not the name exists, so timing does not tell.
        password_ok = verify_or_burn(user_row.password_hash if user_row else None, password)
        new_hash = (
            hash_password(password)
            if password_ok and needs_rehash(user_row.password_hash)
            else None
        )
    finally:
        gate.leave(address)
    if not (user_row and user_row.is_active and password_ok and username):
        reason = (
            "unknown user"
            if user_row is None or not username
            else "disabled"
            if not user_row.is_active
            else "bad password"
        )
        _failed(username, user_row, reason)
        return _render(GENERIC_FAILURE, status=401, username=username)
    return _signed_in(user_row, new_hash, username, address, now, policy, reservation)


def _signed_in(
    user_row,
    new_hash: str | None,
    username: str,
    address: str,
    now: dt.datetime,
    policy: ThrottlePolicy,
    reservation: Reservation,
):
    from dashboard.audit import actor_from_request

    values: dict = {"last_login_at": now}
    if new_hash:
        values["password_hash"] = new_hash
    with locked(db.engine) as conn:
        settle_success(conn, policy, reservation, username, address, now)
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

"""Logins, sessions and the deny-by-default request guard.

``init_auth`` gives each app its own login manager and wires the loader, the guard and the
login blueprint, in that order, so the guard runs before every other ``before_request`` hook
(CSRF, Dash's own set-up) and answers unauthenticated requests first. Flask and friends are
imported there, not here: ``caseload users`` reads ``dashboard.auth.permissions`` and
``passwords`` and must not wait for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def _load_user(session_id: str):
    from dashboard.auth.user import load_current_user, parse_session_id
    from dashboard.db import db

    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    with db.engine.connect() as conn:
        return load_current_user(conn, *parsed)


def init_auth(app: Flask) -> None:
    from flask_login import LoginManager

    from dashboard.auth.guard import install_guard
    from dashboard.auth.views import bp as auth_blueprint

    login_manager = LoginManager()
    login_manager.init_app(app)
    # Flask-Login's "strong" protection hashes a client-supplied X-Forwarded-For; the
    # session epoch checked on every request is what actually ends a stolen session.
    login_manager.session_protection = None
    login_manager.login_view = "auth.login"
    login_manager.user_loader(_load_user)
    install_guard(app)
    app.register_blueprint(auth_blueprint)

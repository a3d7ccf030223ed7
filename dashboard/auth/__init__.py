"""Logins, sessions and the deny-by-default request guard.

``login_manager`` is created unbound here and bound in ``create_app``; ``init_auth`` wires
the loader, the guard and the login blueprint, in that order, so the guard runs before every
other ``before_request`` hook (CSRF, Dash's own set-up) and answers unauthenticated requests
first.
"""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from dashboard.auth.guard import install_guard
from dashboard.auth.user import load_current_user, parse_session_id
from dashboard.auth.views import bp as auth_blueprint
from dashboard.db import db

login_manager = LoginManager()


def _load_user(session_id: str):
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    with db.engine.connect() as conn:
        return load_current_user(conn, *parsed)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    # Flask-Login's "strong" protection hashes a client-supplied X-Forwarded-For; the
    # session epoch checked on every request is what actually ends a stolen session.
    login_manager.session_protection = None
    login_manager.login_view = "auth.login"
    login_manager.user_loader(_load_user)
    install_guard(app)
    app.register_blueprint(auth_blueprint)

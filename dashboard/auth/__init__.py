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
    from dashboard.auth.hash_gate import init_hash_gate
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
    init_hash_gate(app)
    if app.config.get("CASELOAD_PRODUCTION"):
        _refuse_demo_logins(app)


def _refuse_demo_logins(app: Flask) -> None:
    """Demo logins have passwords published in the source: a production server does not start
    while any of them can sign in, whoever created it and however."""
    from dashboard.config import ConfigError
    from dashboard.db import db
    from dashboard.users import active_demo_logins

    with app.app_context(), db.engine.connect() as conn:
        names = active_demo_logins(conn)
    if names:
        db_engine = app.extensions.get("caseload_db")
        if db_engine is not None:
            db_engine.dispose()
        raise ConfigError(
            "refusing to serve in production while demo logins are active: "
            + ", ".join(names)
            + " (caseload users disable --username NAME)"
        )

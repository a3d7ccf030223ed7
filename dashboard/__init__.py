"""Caseload's dashboard: a Flask server with Dash mounted on it, built by ``create_app``.

Order matters in the factory: the request guard is installed before CSRF protection and
before Dash, so an unauthenticated request is refused before anything else looks at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from dashboard.config import Config

# Dash, Flask and their friends are imported inside the factory: every ``caseload`` command
# that touches a ``dashboard`` module (``caseload users``) would otherwise wait ~1 s for them.

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
PAGES_FOLDER = PACKAGE_DIR / "pages"
ASSETS_FOLDER = REPO_ROOT / "assets"
STYLESHEETS = [
    "/vendor/bootstrap5/css/bootstrap.min.css",
    "/vendor/bootstrap5/css/font/bootstrap-icons.min.css",
]

BUNDLE_ENDPOINTS = frozenset(
    {"/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"}
)


def create_app(config: Config | None = None) -> Flask:
    """Build the server. ``config`` defaults to the environment (``Config.from_env()``)."""
    import dash
    from werkzeug.middleware.proxy_fix import ProxyFix

    from dashboard import freshness_banner, json_out
    from dashboard.auth import init_auth
    from dashboard.config import Config
    from dashboard.db import db
    from dashboard.kit import guard_pages
    from dashboard.layout import shell
    from dashboard.security import init_security
    from dashboard.server import CaseloadFlask

    config = (config or Config.from_env()).resolved()
    json_out.install()  # Dash's responses through orjson directly (the same text, faster)
    server = CaseloadFlask(
        __name__, template_folder=str(PACKAGE_DIR / "templates"), static_folder=None
    )
    server.config.update(config.flask_settings())
    server.config.update(CASELOAD_PRODUCTION=config.production)
    if config.proxy_hops:
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app,
            x_for=config.proxy_hops,
            x_proto=config.proxy_hops,
            x_host=config.proxy_hops,
        )

    db.init_app(server, config.database_url, config.database_read_url, **config.engine_options)
    init_auth(server)  # the guard: first before_request hook

    app = dash.Dash(
        "dashboard",
        server=server,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(ASSETS_FOLDER),
        external_stylesheets=STYLESHEETS,
        title="Caseload",
        update_title=None,
        include_pages_meta=False,
        enable_mcp=False,
        compress=False,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    freshness_banner.register()
    guard_pages()  # pages are imported by now: a page the user may not open answers as a 404
    init_security(server, app)
    _register_error_pages(server)
    # Dash copies callbacks registered with ``dash.callback`` (the page modules') from a
    # process-wide list into the first app that serves a request. Claim them now, so a
    # second app built in the same process (tests) gets its own and never another's.
    with server.test_request_context("/"):
        app._setup_server()  # noqa: SLF001
        _build_page_router(server)
    server.extensions["dash_app"] = app
    return server


def _build_page_router(server: Flask) -> None:
    """Dash sets its page router up on the first request it serves, calling every page's
    layout for its validation layout: under that request's user, each page they may not open
    was audited as refused (a counselor "denied" the admin pages they never asked for, once
    per gunicorn worker). Run it here, in a request with no user, where nothing is refused."""
    for hook in server.before_request_funcs.get(None, []):
        if getattr(hook, "__name__", "") == "router_sync":  # dash.Dash.enable_pages
            hook()


def _register_error_pages(server: Flask) -> None:
    """Generic error answers: no stack traces, no exception text, in any mode."""
    import sys

    from dash.exceptions import DependencyException
    from flask import jsonify, render_template, request
    from werkzeug.exceptions import HTTPException

    @server.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/_dash-") or request.method != "GET":
            response = jsonify({"error": error.name})
        else:
            response = server.make_response(
                (render_template("error.html", code=error.code, name=error.name), error.code)
            )
        response.status_code = error.code or 500
        return response

    @server.errorhandler(DependencyException)
    def unknown_bundle(error: DependencyException):
        """Dash raises this for a component bundle it does not know: a missing file (404), not a
        server error, and its message (which echoes the requested path) is never returned."""
        if request.endpoint in BUNDLE_ENDPOINTS:
            response = jsonify({"error": "Not Found"})
            response.status_code = 404
            return response
        return unhandled(error)

    @server.errorhandler(Exception)
    def unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        server.log_exception(sys.exc_info())
        if request.path.startswith("/_dash-") or request.method != "GET":
            response = jsonify({"error": "Internal Server Error"})
            response.status_code = 500
            return response
        return render_template("error.html", code=500, name="Something went wrong"), 500

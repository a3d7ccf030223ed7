"""Response hardening and CSRF for forms and Dash callbacks.

CSRF: Flask-WTF's ``CSRFProtect`` checks every POST, Dash's callback endpoint included (it is
deliberately *not* exempted, the usual workaround for plotly/dash#3827). Dash's renderer sends
the ``X-CSRFToken`` header from a cookie named ``_csrf_token`` when one exists, so after every
response to a signed-in user we set that cookie to a fresh Flask-WTF token. The token is signed
and bound to the session; a cross-site page can neither read the cookie nor set the header,
and callbacks only accept ``application/json`` anyway.

Headers: a Content-Security-Policy without ``unsafe-inline`` or ``unsafe-eval`` for scripts
(Dash's inline scripts are allowed by hash, from ``app.csp_hashes()``), inline styles allowed
because the Dash renderer and AG Grid set them, no framing, no MIME sniffing, no caching of
anything that is not a static file.
"""

from __future__ import annotations

from pathlib import Path

import flask_bootstrap
from dash import Dash
from flask import Blueprint, Flask, abort, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect, generate_csrf

csrf = CSRFProtect()

CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"

# Bootstrap 5 CSS and Bootstrap Icons ship inside the bootstrap-flask wheel; serving them from
# here keeps the page working offline and lets the CSP say 'self' with no CDN.
_VENDOR_DIR = Path(flask_bootstrap.__file__).parent / "static"
vendor = Blueprint("vendor", __name__, static_folder=str(_VENDOR_DIR), static_url_path="/vendor")
# Only the stylesheets and icon fonts the pages use. The wheel also ships jQuery and Bootstrap's
# JavaScript; served from this origin they would be scripts the CSP ('self') allows, ready-made
# gadgets for anyone who ever finds a way to inject markup.
VENDOR_FILES = ("bootstrap5/css/",)
VENDOR_SUFFIXES = (".css", ".woff", ".woff2")


@vendor.before_request
def _only_stylesheets():
    filename = (request.view_args or {}).get("filename", "")
    if not (filename.startswith(VENDOR_FILES) and filename.endswith(VENDOR_SUFFIXES)):
        abort(404)


STATIC_ENDPOINTS = frozenset(
    {
        "vendor.static",
        "_dash_assets.static",
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        "/_favicon.ico",
    }
)


def content_security_policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_security(server: Flask, dash_app: Dash) -> None:
    csrf.init_app(server)
    server.register_blueprint(vendor)

    @server.after_request
    def harden(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Same-origin referrers are needed by Flask-WTF's strict Referer check over HTTPS.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if server.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            # Hashes are recomputed so clientside callbacks registered on the first request
            # (Dash pages' title updater) are covered; hashing a few short strings is cheap.
            headers["Content-Security-Policy"] = content_security_policy(
                list(dash_app.csp_hashes())
            )
        else:
            headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        if request.endpoint not in STATIC_ENDPOINTS:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
            if current_user.is_authenticated:
                response.set_cookie(
                    CSRF_COOKIE,
                    generate_csrf(),
                    secure=server.config["SESSION_COOKIE_SECURE"],
                    httponly=False,  # the renderer must read it to send the header
                    samesite="Strict",
                    path="/",
                )
            elif request.cookies.get(CSRF_COOKIE):
                response.delete_cookie(CSRF_COOKIE, path="/")
        return response

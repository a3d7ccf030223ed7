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

Malformed requests are the sender's fault and answered as such, before Dash sees them: a
component file Dash registers but the package does not ship (``dash_renderer.min.js.map``) is a
404, a callback body of the wrong shape a 400 with a generic message. Either leaves one log line
(method, route, reason), never a traceback: anyone can send them, and a log that fills with
stack traces hides the ones that matter.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import flask_bootstrap
from dash import Dash
from dash.fingerprint import check_fingerprint
from flask import Blueprint, Flask, abort, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect, generate_csrf

csrf = CSRFProtect()
log = logging.getLogger(__name__)

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


BUNDLE_ENDPOINT = "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"
CALLBACK_ENDPOINT = "/_dash-update-component"
MALFORMED_CALLBACK = "malformed callback request"


def _refuse(status: int, reason: str):
    """One log line and a generic body. ``reason`` is ours, never text from the request, and the
    path is a registered one (a bundle Dash knows, or the callback route)."""
    log.warning("%s %s refused with %d: %s", request.method, request.path, status, reason)
    response = jsonify({"error": MALFORMED_CALLBACK if status == 400 else "Not Found"})
    response.status_code = status
    return response


def missing_bundle_file(dash_app: Dash) -> str | None:
    """Why a registered component file cannot be served, or None. Dash registers the source
    maps of its bundles whether or not the wheel ships them, then fails with a 500 reading one
    that is not there. Unregistered paths are left to Dash (and its 404 handler)."""
    args = request.view_args or {}
    package = args.get("package_name", "")
    path_in_package, _fingerprinted = check_fingerprint(args.get("fingerprinted_path", ""))
    if path_in_package not in dash_app.registered_paths.get(package, ()):
        return None
    module = sys.modules.get(package)
    module_file = getattr(module, "__file__", None)
    if module_file is None or not (Path(module_file).parent / path_in_package).is_file():
        return "registered component file missing from its package"
    return None


def _expected_outputs(callback_id: str) -> int:
    """How many outputs a callback id names: ``..a.b...c.d..`` is two, ``a.b`` one."""
    if callback_id.startswith("..") and callback_id.endswith(".."):
        return len(callback_id[2:-2].split("..."))
    return 1


def _dependency_problem(item: object, spec: dict) -> str | None:
    """An input or state entry must be the component and property the callback declared (Dash
    itself checks only how many there are). Pattern-matching ids come as an object or a list."""
    if str(spec["id"]).startswith("{"):
        entries = item if isinstance(item, list) else [item]
        for entry in entries:
            if not (isinstance(entry, dict) and isinstance(entry.get("id"), dict)):
                return "pattern-matching entry is not an object with an id object"
            if entry.get("property") != spec["property"]:
                return "entry names another property"
        return None
    if not isinstance(item, dict):
        return "entry is not an object"
    if item.get("id") != spec["id"] or item.get("property") != spec["property"]:
        return "entry names another component or property"
    return None


def callback_body_problem(dash_app: Dash, body: object) -> str | None:
    """Why this is not a body the renderer would send for a registered callback, or None."""
    if not isinstance(body, dict):
        return "body is not a JSON object"
    output = body.get("output")
    if not isinstance(output, str):
        return "output is missing or not a string"
    callback = dash_app.callback_map.get(output)
    if callback is None:
        return "output names no registered callback"
    for field in ("inputs", "state"):
        items = body.get(field, [])
        specs = callback[field]
        if not isinstance(items, list):
            return f"{field} is not a list"
        if len(items) != len(specs):
            return f"{field} has {len(items)} entries, the callback takes {len(specs)}"
        for item, spec in zip(items, specs, strict=True):
            problem = _dependency_problem(item, spec)
            if problem:
                return f"{field}: {problem}"
    outputs = body.get("outputs")
    if not callback.get("no_output") and outputs is not None:
        expected = _expected_outputs(output)
        if expected == 1 and not output.startswith(".."):
            if not isinstance(outputs, dict | list):
                return "outputs is not an object"
        elif not (isinstance(outputs, list) and len(outputs) == expected):
            return f"outputs is not a list of {expected}"
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return "changedPropIds is not a list of strings"
    return None


def _check_malformed(dash_app: Dash):
    """Runs after the guard and CSRF: only signed-in senders with a valid token get here."""
    if request.endpoint == BUNDLE_ENDPOINT:
        reason = missing_bundle_file(dash_app)
        return _refuse(404, reason) if reason else None
    if request.endpoint == CALLBACK_ENDPOINT and request.method == "POST" and request.is_json:
        body = request.get_json(silent=True)
        reason = None
        if body is None and request.get_data(cache=True).strip() != b"null":
            reason = "body is not valid JSON"
        reason = reason or callback_body_problem(dash_app, body)
        if reason is None:
            return None
        # Only signed-in senders with a valid token get this far: a body the renderer would
        # never send is worth an audit row (one per request, like any other denial).
        from dashboard.audit import audit_event

        audit_event(
            "denied", outcome="denied", category="access", detail={"reason": f"malformed: {reason}"}
        )
        return _refuse(400, reason)
    return None


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
    server.before_request(lambda: _check_malformed(dash_app))

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

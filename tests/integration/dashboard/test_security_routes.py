"""The whole HTTP surface without a session: every rule in the url_map, every method that
could carry data, Dash's JSON endpoints, the catch-all, ``/_mcp`` and the static files. Only
the login form and static code answer; everything else is a 401 or a redirect to the login
form, and no answer carries a client's name or id."""

from __future__ import annotations

import re

import pytest
from dash_client import login

from dashboard.auth.guard import PUBLIC_ENDPOINTS

# (rule, endpoint) -> methods, pinned: a route added by a Dash hook, a plugin or a new page
# shows up here before it ships.
EXPECTED_RULES = {
    ("/", "/"): {"GET"},
    ("/<path:path>", "/<path:path>"): {"GET"},
    (
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    ): {"GET"},
    ("/_dash-dependencies", "/_dash-dependencies"): {"GET"},
    ("/_dash-layout", "/_dash-layout"): {"GET"},
    ("/_dash-update-component", "/_dash-update-component"): {"POST"},
    ("/_favicon.ico", "/_favicon.ico"): {"GET"},
    ("/_reload-hash", "/_reload-hash"): {"GET"},
    ("/assets/<path:filename>", "_dash_assets.static"): {"GET"},
    ("/login", "auth.login"): {"GET", "POST"},
    ("/logout", "auth.logout"): {"POST"},
    ("/vendor/<path:filename>", "vendor.static"): {"GET"},
}
PUBLIC = {
    "auth.login",
    "vendor.static",
    "_dash_assets.static",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    "/_favicon.ico",
}
SAMPLE_ARGS = {
    "path": "client/C-0001",
    "package_name": "dash",
    "fingerprinted_path": "dash-renderer/build/dash_renderer.v4_4_1m1.min.js",
    "filename": "caseload.css",
}
# Dash's environment switches that would add routes or debugging output if honoured.
DASH_ENV = {
    "DASH_MCP_ENABLED": "true",
    "DASH_DEBUG": "true",
    "DASH_HOT_RELOAD": "true",
    "DASH_UI": "true",
    "DASH_PRUNE_ERRORS": "false",
    "DASH_SERVE_DEV_BUNDLES": "true",
}


def rules(app) -> dict[tuple[str, str], set[str]]:
    return {
        (rule.rule, rule.endpoint): set(rule.methods - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
    }


def concrete_url(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: SAMPLE_ARGS[m.group(1)], rule.rule)


def assert_no_client_data(seeded, response) -> None:
    body = response.get_data().decode("utf-8", errors="replace")
    for name in seeded.world.names.values():
        assert name not in body
    for client_id in seeded.world.clients:
        assert client_id not in body.replace(f"next=/client/{client_id}", "")


def assert_refused(response) -> None:
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 401, response.status_code
        assert response.get_json() == {"error": "authentication required"}


def test_route_table_and_public_endpoints_are_pinned(app) -> None:
    assert rules(app) == EXPECTED_RULES
    assert PUBLIC_ENDPOINTS == PUBLIC


def test_dash_environment_switches_add_nothing(app_factory, monkeypatch, client, seeded) -> None:
    for name, value in DASH_ENV.items():
        monkeypatch.setenv(name, value)
    server = app_factory()
    assert rules(server) == EXPECTED_RULES
    anonymous = server.test_client()
    for method in ("get", "post"):
        response = getattr(anonymous, method)("/_mcp")
        assert_refused(response)
    insider = server.test_client()
    login(insider, "ana")
    response = insider.get("/")
    assert "Server-Timing" not in response.headers
    assert "dash-debug-menu" not in response.get_data(as_text=True)
    assert server.debug is False


def test_every_private_rule_refuses_get_and_post_without_a_session(app, seeded) -> None:
    anonymous = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        url = concrete_url(rule)
        for method in ("GET", "POST", "PUT", "DELETE"):
            response = anonymous.open(url, method=method, json={"output": "x", "inputs": []})
            assert_no_client_data(seeded, response)
            if rule.endpoint in PUBLIC and method in rule.methods:
                continue  # static code and the login form: checked below
            assert_refused(response)
            assert response.headers["Cache-Control"] == "no-store"
            checked += 1
    assert checked >= 40


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-layout",
        "/_dash-dependencies",
        "/_reload-hash",
        "/_dash-update-component",
        "/_mcp",
        "/client/C-0001",
        "/client/C-0001/../../_dash-layout",
        "/%2e%2e/_dash-layout",
        "/login/../_dash-layout",
    ],
)
def test_dash_endpoints_and_tricky_paths_refuse(client, seeded, path) -> None:
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert_refused(response)
        assert_no_client_data(seeded, response)


def test_public_endpoints_serve_code_not_data(client, seeded) -> None:
    for path in (
        "/login",
        "/assets/caseload.css",
        "/assets/session.js",
        "/vendor/bootstrap5/css/bootstrap.min.css",
        "/_favicon.ico",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_client_data(seeded, response)
    # Nothing outside the assets folder is reachable through it.
    for path in (
        "/assets/../pyproject.toml",
        "/assets/%2e%2e/pyproject.toml",
        "/assets/../_dash-layout",
        "/vendor/../../pyproject.toml",
    ):
        response = client.get(path)
        assert response.status_code in (302, 401, 404)
        body = response.get_data(as_text=True)
        assert "[project]" not in body and '"props"' not in body


def test_unknown_component_bundle_is_a_quiet_404(client, caplog) -> None:
    """An unregistered bundle is a missing file, not a server error: no 500, no traceback in
    the error log for anyone who can type a URL."""
    for path in (
        "/_dash-component-suites/dash/not-a-bundle.js",
        "/_dash-component-suites/%3Cb%3Enot-a-package%3C%2Fb%3E/x.js",
    ):
        response = client.get(path)
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert "<b>" not in body and "registered" not in body
    assert "unhandled" not in caplog.text
    assert "Traceback" not in caplog.text


def test_vendored_files_are_stylesheets_and_fonts_only(client) -> None:
    """Scripts served from this origin are allowed by the CSP; the vendored Bootstrap wheel's
    jQuery and JavaScript are not needed, so they are not served."""
    for path in (
        "/vendor/bootstrap5/css/bootstrap.min.css",
        "/vendor/bootstrap5/css/font/bootstrap-icons.min.css",
        "/vendor/bootstrap5/css/font/fonts/bootstrap-icons.woff2",
    ):
        assert client.get(path).status_code == 200, path
    for path in (
        "/vendor/bootstrap4/jquery.min.js",
        "/vendor/bootstrap5/js/bootstrap.min.js",
        "/vendor/bootstrap5/umd/popper.min.js",
        "/vendor/bootstrap5/css/bootstrap.min.css.map",
    ):
        assert client.get(path).status_code == 404, path

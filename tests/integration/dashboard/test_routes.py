"""Deny by default: the route list is pinned, and nothing but the login form and static code
answers without a session -- Dash's JSON endpoints included."""

from __future__ import annotations

import pytest
from dash_client import callback_payload, dependencies, login

EXPECTED_ROUTES = {
    ("/", "GET"),
    ("/<path:path>", "GET"),
    ("/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>", "GET"),
    ("/_dash-dependencies", "GET"),
    ("/_dash-layout", "GET"),
    ("/_dash-update-component", "POST"),
    ("/_favicon.ico", "GET"),
    ("/_reload-hash", "GET"),
    ("/assets/<path:filename>", "GET"),
    ("/login", "GET"),
    ("/login", "POST"),
    ("/logout", "POST"),
    ("/vendor/<path:filename>", "GET"),
}


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_route_list_is_pinned(app) -> None:
    assert routes(app) == EXPECTED_ROUTES


def test_mcp_stays_off_even_when_the_environment_asks(app_factory, monkeypatch) -> None:
    monkeypatch.setenv("DASH_MCP_ENABLED", "true")
    server = app_factory()
    assert routes(server) == EXPECTED_ROUTES
    assert not any("mcp" in rule for rule, _ in routes(server))


PRIVATE_GETS = [
    "/",
    "/client/C-0001",
    "/anything/else",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_reload-hash",
    "/_dash-update-component",
]


@pytest.mark.parametrize("path", PRIVATE_GETS)
def test_every_page_and_endpoint_refuses_without_a_session(client, seeded, path) -> None:
    response = client.get(path)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    body = response.get_data(as_text=True)
    for name in seeded.world.names.values():
        assert name not in body
    assert "C-0001" not in body.replace("next=/client/C-0001", "")
    if path.startswith("/_dash"):
        assert response.status_code == 401
        assert response.get_json() == {"error": "authentication required"}


def test_callback_post_without_session_is_401_even_relabelled_as_pathname(
    client, seeded, app
) -> None:
    # Build real payloads from a signed-in client, then replay them without a session.
    insider = app.test_client()
    login(insider, "ana")
    deps = dependencies(insider)
    forged = [
        callback_payload(
            deps, "client-header.children", {"client-id.data": "C-0001", "client-range.value": "90"}
        ),
        callback_payload(
            deps,
            "today-grid.rowData",
            {"today-counselor.value": seeded.world.staff["S-C1"], "today-refresh.data": 0},
        ),
    ]
    relabelled = dict(forged[0])
    relabelled["inputs"] = [
        {"id": "_pages_location", "property": "pathname", "value": "/"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    for payload in (*forged, relabelled):
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 401
        text = response.get_data(as_text=True)
        assert all(name not in text for name in seeded.world.names.values())


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/vendor/bootstrap5/css/bootstrap.min.css",
        "/assets/caseload.css",
    ],
)
def test_login_and_static_files_are_public(client, path) -> None:
    assert client.get(path).status_code == 200


def test_component_bundles_are_public(client, app) -> None:
    login_client = app.test_client()
    login(login_client, "ana")
    index = login_client.get("/").get_data(as_text=True)
    bundle = next(
        part.split('"')[0]
        for part in index.split('src="')[1:]
        if part.startswith("/_dash-component-suites/")
    )
    assert client.get(bundle).status_code == 200


def test_security_headers(client) -> None:
    login(client, "ana")
    response = client.get("/")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'sha256-" in script_src
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Server-Timing" not in headers


def test_errors_are_generic_and_logs_carry_no_exception_text(app, caplog) -> None:
    marker = "-".join(("secret", "marker"))  # not spelled out on the line the frames show

    def broken():
        raise RuntimeError(f"{marker} in the exception text")

    app.add_url_rule("/_dash-broken", "broken", broken, methods=["POST"])
    client = app.test_client()
    login(client, "ana")
    headers = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
    response = client.post("/_dash-broken", json={}, headers=headers)
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal Server Error"}
    assert "unhandled RuntimeError" in caplog.text
    assert "secret-marker" not in caplog.text
    # A callback body naming an unknown output is the sender's fault: 400, and the name it
    # sent does not reach the log either.
    response = client.post(
        "/_dash-update-component",
        json={"output": "secret-marker.children", "inputs": []},
        headers=headers,
    )
    assert response.status_code == 400
    assert "secret-marker" not in caplog.text


def test_denials_are_logged_without_names(client, seeded, caplog) -> None:
    login(client, "ana")
    deps = dependencies(client)
    payload = callback_payload(
        deps, "client-header.children", {"client-id.data": "C-0014", "client-range.value": "30"}
    )
    client.post(
        "/_dash-update-component",
        json=payload,
        headers={"X-CSRFToken": client.get_cookie("_csrf_token").value},
    )
    assert "access denied: client outside scope" in caplog.text
    assert all(name not in caplog.text for name in seeded.world.names.values())

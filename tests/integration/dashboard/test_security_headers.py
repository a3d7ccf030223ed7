"""Response headers on every kind of answer (pages, data, refusals, errors, static files), and
a CSP that really lets the app run: every inline script Dash writes is covered by a hash, and
nothing needs 'unsafe-eval' or 'unsafe-inline' for scripts."""

from __future__ import annotations

import base64
import hashlib
import re

from dash_client import callback_payload, dependencies, login, post_callback

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _common(response) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "Server-Timing" not in headers
    assert "Access-Control-Allow-Origin" not in headers


def test_every_kind_of_answer_is_hardened(app) -> None:
    client = app.test_client()
    anonymous = {
        "/login": 200,
        "/": 302,
        "/_dash-layout": 401,
        "/assets/caseload.css": 200,
        "/_dash-component-suites/dash/nope.js": 404,
    }
    for path, status in anonymous.items():
        response = client.get(path)
        assert response.status_code == status, path
        _common(response)
    login(client, "ana")
    deps = dependencies(client)
    payload = callback_payload(deps, "today-counselor.options", {"today-page.id": "today-page"})
    data_answers = [
        client.get("/"),
        client.get("/client/C-0001"),
        client.get("/_dash-layout"),
        client.get("/_dash-dependencies"),
        post_callback(client, payload),
        client.post(
            "/_dash-update-component",
            json={"output": "nothing.children", "inputs": []},
            headers={"X-CSRFToken": client.get_cookie("_csrf_token").value},
        ),
    ]
    for response in data_answers:
        _common(response)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert data_answers[-1].status_code == 400


def test_csp_covers_every_inline_script_without_unsafe_directives(app) -> None:
    client = app.test_client()
    login(client, "ana")
    response = client.get("/client/C-0001")
    html = response.get_data(as_text=True)
    directives = _directives(response.headers["Content-Security-Policy"])
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    executed = 0
    live = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # e.g. Dash's IE-only notice
    for match in _INLINE_SCRIPT.finditer(live):
        attrs, body = match.group("attrs"), match.group("body")
        if "src=" in attrs or "application/json" in attrs:
            continue  # external files ('self') and data blocks (never executed)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src, body[:80]
        executed += 1
    assert executed >= 1
    # Every script file the page loads is served from this origin.
    for src in re.findall(r'<script[^>]+src="([^"]+)"', html):
        assert src.startswith("/"), src
        assert not src.startswith("//")
    for href in re.findall(r'<link[^>]+href="([^"]+)"', html):
        assert href.startswith("/") and not href.startswith("//"), href


def test_login_page_needs_no_script_at_all(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "<script" not in html
    assert 'autocomplete="current-password"' in html

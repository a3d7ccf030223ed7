"""An administrator lands on a page saying what the role can do, never on a caseload grid."""

from __future__ import annotations

from dash_client import callback_payload, dependencies, login, post_callback


def _page(client, path: str) -> str:
    payload = callback_payload(
        dependencies(client),
        "_pages_content.children",
        {"_pages_location.pathname": path, "_pages_location.search": ""},
    )
    response = post_callback(client, payload)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admin_lands_on_what_an_admin_can_do(app, seeded) -> None:
    client = app.test_client()
    response = login(client, "root")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin")
    page = _page(client, "/admin")
    assert "admin-home" in page and "Administration" in page
    assert "caseload users add" in page and "caseload ingest" in page
    assert "today-grid" not in page and "today-card" not in page


def test_counselor_lands_on_today_and_cannot_open_administration(app, seeded) -> None:
    client = app.test_client()
    response = login(client, "ana")
    assert response.headers["Location"].endswith("/")
    assert "today-grid" in _page(client, "/")
    assert "admin-home" not in _page(client, "/admin")

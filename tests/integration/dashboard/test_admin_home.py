"""An administrator lands on a page saying what the role can do, never on a caseload grid."""

from __future__ import annotations

from dash_client import callback_payload, dependencies, login, post_callback


def _home(app, username: str) -> str:
    client = app.test_client()
    assert login(client, username).status_code == 302
    payload = callback_payload(
        dependencies(client),
        "_pages_content.children",
        {"_pages_location.pathname": "/", "_pages_location.search": ""},
    )
    response = post_callback(client, payload)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admin_lands_on_what_an_admin_can_do(app, seeded) -> None:
    page = _home(app, "root")
    assert "admin-home" in page and "Administration" in page
    assert "caseload users add" in page and "caseload ingest" in page
    assert "today-grid" not in page and "today-card" not in page


def test_counselor_still_lands_on_today(app, seeded) -> None:
    page = _home(app, "ana")
    assert "today-grid" in page and "admin-home" not in page

"""The callback kit: every page declares its permission, every callback goes through
``page_callback``, a page the user lacks answers like a missing one, and a refusal is always
the same (no update, one audit row)."""

from __future__ import annotations

import json

import dash
import pytest
from dash_client import callback_payload, post_callback, record_payload, signed_in, today_payload
from sqlalchemy import func, select

from dashboard.kit import KIT_MARK
from etl.models import AppAuditLog

# Dash's own page router: it only calls the page layouts, which guard_pages wraps.
DASH_ROUTER = "_pages_content.children"


def _audit_count(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AppAuditLog)).scalar_one()


def _last(seeded) -> AppAuditLog:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()


def _through_kit(func) -> bool:
    while func is not None:
        if getattr(func, KIT_MARK, None):
            return True
        func = getattr(func, "__wrapped__", None)
    return False


def test_every_page_declares_a_permission(app) -> None:
    assert dash.page_registry
    for module, page in dash.page_registry.items():
        assert "permission" in page, f"{module} declares no permission"
        if module.split(".")[-1] != "not_found_404":
            assert isinstance(page["permission"], str) and page["permission"], module
        assert getattr(page["layout"], KIT_MARK, False) or page["permission"] is None, module


def test_every_callback_goes_through_the_kit(app) -> None:
    client, _deps = signed_in(app, "ana")
    client.get("/")  # Dash registers its page router on the first request
    callbacks = app.extensions["dash_app"].callback_map
    server_side = {k: v["callback"] for k, v in callbacks.items() if v.get("callback")}
    assert len(server_side) >= 6
    bypassing = [k for k, f in server_side.items() if DASH_ROUTER not in k and not _through_kit(f)]
    assert bypassing == []


@pytest.mark.parametrize(
    "payload",
    [
        lambda deps, seeded: today_payload(deps, seeded.world.staff["S-C1"]),
        lambda deps, seeded: record_payload(deps, "C-0001"),
        lambda deps, seeded: callback_payload(
            deps, "today-counselor.options", {"today-page.id": "today-page"}
        ),
    ],
    ids=["today", "record", "picker"],
)
def test_a_refusal_is_no_update_and_one_audit_row(app, seeded, payload) -> None:
    client, deps = signed_in(app, "root")
    before = _audit_count(seeded)
    response = post_callback(client, payload(deps, seeded))
    assert response.status_code == 204 and response.get_data() == b""
    assert _audit_count(seeded) == before + 1
    row = _last(seeded)
    assert (row.action, row.outcome, row.username) == ("denied", "denied", "root")
    assert row.detail["reason"] == "missing view_caseload"


def _route(client, deps, path: str) -> str:
    payload = callback_payload(
        deps,
        DASH_ROUTER,
        {"_pages_location.pathname": path, "_pages_location.search": ""},
    )
    response = post_callback(client, payload)
    assert response.status_code == 200
    return json.dumps(response.get_json()["response"]["_pages_content"]["children"])


def test_a_page_without_the_permission_answers_like_a_missing_one(app, seeded) -> None:
    client, deps = signed_in(app, "root")
    missing = _route(client, deps, "/no-such-page")
    before = _audit_count(seeded)
    denied = _route(client, deps, "/")
    assert denied == missing and "Page not found" in denied
    assert "today-grid" not in denied
    assert _audit_count(seeded) == before + 1
    row = _last(seeded)
    assert row.action == "denied" and row.detail == {
        "reason": "missing view_caseload",
        "page": "/",
    }
    client_page = _route(client, deps, "/client/C-0001")
    assert client_page == missing


def test_a_counselor_gets_the_page(app, seeded) -> None:
    client, deps = signed_in(app, "ana")
    assert "today-grid" in _route(client, deps, "/")
    assert "client-header" in _route(client, deps, "/client/C-0001")


def _nav(client) -> list[str]:
    """The labels of the navigation bar's page links."""
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "NavLink":
                found.append(node["props"]["children"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(client.get("/_dash-layout").get_json())
    return found


def test_navigation_lists_only_the_pages_the_user_may_open(app) -> None:
    counselor, _ = signed_in(app, "ana")
    admin, _ = signed_in(app, "root")
    supervisor, _ = signed_in(app, "carla")
    assert _nav(counselor) == ["Today", "Missed check-ins", "Sleep & stress"]
    assert _nav(supervisor) == [
        "Today",
        "Missed check-ins",
        "Sleep & stress",
        "Outcomes",
        "Reports",
    ]
    # What an admin does: aggregates and de-identified exports of any program, the users, the
    # loads and the audit log; no caseload.
    assert _nav(admin) == ["Administration", "Outcomes", "Reports", "Users", "Loads", "Audit log"]


def test_the_first_request_audits_no_page_its_user_never_opened(app, app_factory, seeded) -> None:
    """Dash builds its page router, calling every page's layout, on the first request it
    serves: a counselor's first page load must not be audited as refused the admin pages
    (one gunicorn worker signs in, another serves the next request first)."""
    signed, _deps = signed_in(app, "ana")
    worker = app_factory().test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    worker.set_cookie(name, signed.get_cookie(name).value)
    before = _audit_count(seeded)
    assert worker.get("/").status_code == 200
    with seeded.engine.connect() as conn:
        denied = conn.execute(
            select(func.count()).where(
                AppAuditLog.event_id > before, AppAuditLog.action == "denied"
            )
        ).scalar_one()
    assert denied == 0

"""PHI stays where it is needed (the signed-in user's own screen) and nowhere else: not in the
application log at DEBUG, not in error answers or exception text, not in page titles or URLs
beyond the opaque id, not in browser storage, not in the audit log."""

from __future__ import annotations

import logging

import dash
import pytest
from dash import Input, Output, dcc
from dash_client import (
    callback_payload,
    contact_payload,
    login,
    post_callback,
    signed_in,
    snooze_payload,
)
from flask import abort
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from etl.models import AppAuditLog, AppFollowup, PiiClient

NOTE = "Says her brother Tomasz keeps cocaine at 14 Elm St"
REASON = "Seen at St Mary's detox intake"


def _pii(seeded) -> list[str]:
    """Every identifier the warehouse holds for the clients, and the free text above."""
    with seeded.engine.connect() as conn:
        rows = conn.execute(
            select(
                PiiClient.first_name,
                PiiClient.last_name,
                PiiClient.phone,
                PiiClient.email,
                PiiClient.date_of_birth,
            )
        ).all()
    values = {NOTE, REASON, "Tomasz", *seeded.world.names.values()}
    for first, last, phone, email, dob in rows:
        values.update(v for v in (f"{first} {last}", phone, email) if v)
        if dob:
            values.add(dob.isoformat())
    return sorted(values)


def _leaks(text: str, seeded) -> list[str]:
    return [value for value in _pii(seeded) if value in text]


def _signed_in(app, username):
    return signed_in(app, username)


def _contact(deps, client_id, note):
    return contact_payload(deps, client_id, note=note)


def _snooze(deps, client_id, reason):
    return snooze_payload(deps, client_id, until="2026-11-30", reason=reason)


def _exploding_app(app_factory, seeded):
    """The real app plus one callback and one page that fail with a client's name in the
    exception text, as a bug could."""
    server = app_factory()
    name = seeded.world.names["C-0001"]

    def explode(*_args):
        raise ValueError(f"could not format the record of {name} ({NOTE})")

    server.add_url_rule("/boom", "boom", explode)
    server.extensions["dash_app"].callback(
        Output("phi-probe", "children"), Input("phi-probe", "id")
    )(explode)
    return server


def test_a_working_morning_logs_no_phi_at_debug(app_factory, seeded, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # SQL logging switched on
    try:
        server = _exploding_app(app_factory, seeded)
        assert login(server.test_client(), "ana", "wrong-password-x").status_code == 401
        client, deps = _signed_in(server, "ana")
        today = callback_payload(
            deps,
            "today-grid.rowData",
            {"today-counselor.value": seeded.world.staff["S-C1"], "today-refresh.data": 0},
        )
        rows = post_callback(client, today).get_json()["response"]["today-grid"]["rowData"]
        assert {r["name"] for r in rows} >= {seeded.world.names["C-0001"]}
        for client_id in ("C-0001", "C-0009", "C-0014"):
            record = callback_payload(
                deps,
                "client-header.children",
                {"client-id.data": client_id, "client-range.value": "all"},
            )
            post_callback(client, record)
        assert "Contact logged." in post_callback(client, _contact(deps, "C-0001", NOTE)).text
        assert "Snoozed" in post_callback(client, _snooze(deps, "C-0001", REASON)).text
        post_callback(client, _contact(deps, "C-0014", NOTE))
        failed = post_callback(
            client,
            {
                "output": "phi-probe.children",
                "outputs": {"id": "phi-probe", "property": "children"},
                "inputs": [{"id": "phi-probe", "property": "id", "value": "phi-probe"}],
                "changedPropIds": ["phi-probe.id"],
            },
        )
        assert failed.status_code == 500
        assert failed.get_json() == {"error": "Internal Server Error"}
        page = client.get("/boom")
        assert page.status_code == 500
        assert _leaks(failed.get_data(as_text=True) + page.get_data(as_text=True), seeded) == []
        assert "Traceback" not in page.get_data(as_text=True)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.NOTSET)
    text = caplog.text
    assert "INSERT INTO app_followup" in text  # SQL logging was on...
    assert "access denied: client outside scope" in text and "unhandled ValueError" in text
    assert _leaks(text, seeded) == []  # ...and still nothing identifying in the log
    for record in caplog.records:
        assert _leaks(record.getMessage(), seeded) == []


def test_database_errors_carry_no_parameter_values(app, seeded) -> None:
    """A failed statement's exception text is what ends up in crash reports and terminals."""
    engine = app.extensions["caseload_db"]
    with pytest.raises(DBAPIError) as failure, engine.begin() as conn:
        conn.execute(
            insert(AppFollowup).values(
                client_key=999_999,  # no such client: a foreign key violation
                user_id=seeded.users["ana"],
                contacted_at=seeded.world.as_of,
                method="call",
                note=NOTE,
            )
        )
    assert NOTE not in str(failure.value) and "Tomasz" not in repr(failure.value)
    assert "hidden" in str(failure.value)


def test_error_pages_are_generic(app, client) -> None:
    app.add_url_rule("/teapot", "teapot", lambda: abort(418))
    login(client, "ana")
    for path in ("/_dash-update-component",):
        response = client.post(
            path,
            json={"output": "no-such.children", "inputs": []},
            headers={"X-CSRFToken": client.get_cookie("_csrf_token").value},
        )
        assert response.status_code == 400
        assert response.get_json() == {"error": "malformed callback request"}
    page = client.get("/teapot").get_data(as_text=True)
    assert "Traceback" not in page and "werkzeug" not in page.lower()


def test_client_record_sends_no_more_identifiers_than_the_name(app, seeded) -> None:
    """The record shows the name and the program's id; phone, e-mail and birth date stay in
    the warehouse (minimum necessary)."""
    client, deps = _signed_in(app, "ana")
    record = callback_payload(
        deps, "client-header.children", {"client-id.data": "C-0001", "client-range.value": "all"}
    )
    body = post_callback(client, record).get_data(as_text=True)
    with seeded.engine.connect() as conn:
        phone, email, dob = conn.execute(
            select(PiiClient.phone, PiiClient.email, PiiClient.date_of_birth).where(
                PiiClient.client_key == seeded.world.clients["C-0001"]
            )
        ).one()
    assert seeded.world.names["C-0001"] in body
    for value in (phone, email, dob.isoformat(), dob.strftime("%b %-d, %Y")):
        assert value not in body


def test_titles_and_urls_carry_only_the_opaque_id(app, seeded) -> None:
    client, deps = _signed_in(app, "ana")
    for page in dash.page_registry.values():
        assert isinstance(page["title"], str) and "{" not in page["title"]
        assert _leaks(page["title"], seeded) == []
    routed = callback_payload(
        deps,
        "_pages_content.children",
        {"_pages_location.pathname": "/client/C-0001", "_pages_location.search": ""},
    )
    body = post_callback(client, routed).get_json()
    store = body["response"].get("_pages_store", {}).get("data", {})
    assert store.get("title") == "Client · Caseload"
    assert _leaks(str(body), seeded) == []
    index = client.get("/client/C-0001").get_data(as_text=True)
    assert "<title>Caseload</title>" in index and _leaks(index, seeded) == []
    # The grid links to the record by id alone.
    today = callback_payload(
        deps,
        "today-grid.rowData",
        {"today-counselor.value": seeded.world.staff["S-C1"], "today-refresh.data": 0},
    )
    rows = post_callback(client, today).get_json()["response"]["today-grid"]["rowData"]
    for row in rows:
        assert set(row).isdisjoint({"phone", "email", "date_of_birth", "zip", "note"})


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            if hasattr(child, "to_plotly_json"):
                yield from _walk(child)
    elif hasattr(children, "to_plotly_json"):
        yield from _walk(children)
    for prop in ("body", "header"):
        value = getattr(component, prop, None)
        if hasattr(value, "to_plotly_json"):
            yield from _walk(value)


def test_nothing_is_kept_in_browser_storage(app) -> None:
    """Stores live in memory (they go with the tab) and no input persists its value to
    localStorage, where PHI would outlive the session on a shared workstation."""
    client = app.test_client()
    login(client, "ana")
    layouts = []
    with app.test_request_context("/"):
        for page in dash.page_registry.values():
            layouts.append(page["layout"](client_id="C-0001"))
    stores = 0
    for layout in layouts:
        for component in _walk(layout):
            assert not getattr(component, "persistence", None), component
            if isinstance(component, dcc.Store):
                stores += 1
                assert getattr(component, "storage_type", "memory") == "memory"
    assert stores >= 3
    shell = client.get("/_dash-layout").get_data(as_text=True).replace(" ", "")
    assert '"persistence":true' not in shell
    assert '"storage_type":"local"' not in shell and '"storage_type":"session"' not in shell


def test_audit_rows_hold_keys_not_values(app, seeded) -> None:
    client, deps = _signed_in(app, "carla")
    post_callback(client, _contact(deps, "C-0002", NOTE))
    post_callback(client, _snooze(deps, "C-0002", REASON))
    post_callback(client, _contact(deps, "C-0014", NOTE))  # refused: other program
    with seeded.engine.connect() as conn:
        rows = conn.execute(select(AppAuditLog)).all()
    assert rows
    for row in rows:
        text = " ".join(str(v) for v in row)
        assert _leaks(text, seeded) == []

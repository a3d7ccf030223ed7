"""Malformed callback inputs from a signed-in user: lists, dicts, booleans, huge strings, NUL
bytes and SQL-looking strings in every input a callback reads. None is a server error (no
500, nothing for the error log to trace), none reveals another client, none writes a row, and
every client id that does not resolve is an audited denial."""

from __future__ import annotations

import pytest
from dash_client import (
    callback_payload,
    contact_payload,
    dependencies,
    login,
    post_callback,
    snooze_payload,
)
from sqlalchemy import func, select

from etl.audit import verify_chain
from etl.models import AppAuditLog, AppFollowup, AppSnooze

BAD_VALUES = [
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    "",
    "x" * 100_000,
    "C-0001' OR '1'='1",
    "C-%",
    "C-0001\x00",
    ["C-0001"],
    {"id": "C-0001"},
    [{"rowId": "C-0009"}],
]
IDS = [
    "none",
    "true",
    "zero",
    "minus1",
    "hugeint",
    "float",
    "empty",
    "hugestr",
    "sql",
    "like",
    "nul",
    "list",
    "dict",
    "nested",
]


@pytest.fixture
def ana(app):
    client = app.test_client()
    login(client, "ana")
    return client, dependencies(client)


def _post(client, payload):
    response = post_callback(client, payload)
    assert response.status_code in (200, 204), response.status_code
    return response.get_data(as_text=True)


def _not_anas(seeded, body: str) -> list[str]:
    mine = set(seeded.world.caseloads["S-C1"])
    return [n for cid, n in seeded.world.names.items() if cid not in mine and n in body]


def _last_event(seeded):
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()


def _writes(seeded) -> tuple[int, int]:
    with seeded.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(AppFollowup)).scalar_one(),
            conn.execute(select(func.count()).select_from(AppSnooze)).scalar_one(),
        )


def _contact(deps, **state):
    return contact_payload(deps, **state)


def _snooze(deps, **state):
    return snooze_payload(deps, **state)


@pytest.mark.parametrize("value", BAD_VALUES, ids=IDS)
def test_client_record_ids(ana, seeded, value) -> None:
    client, deps = ana
    payload = callback_payload(
        deps, "client-header.children", {"client-id.data": value, "client-range.value": "90"}
    )
    body = _post(client, payload)
    assert "No client record to show." in body and _not_anas(seeded, body) == []
    event = _last_event(seeded)
    assert event.action == "denied" and event.detail["action"] == "view"
    assert len(event.detail["requested_client_id"]) <= 64


@pytest.mark.parametrize("value", BAD_VALUES, ids=IDS)
def test_client_record_range(ana, seeded, value) -> None:
    client, deps = ana
    payload = callback_payload(
        deps, "client-header.children", {"client-id.data": "C-0001", "client-range.value": value}
    )
    body = _post(client, payload)
    assert seeded.world.names["C-0001"] in body and _not_anas(seeded, body) == []
    event = _last_event(seeded)
    assert event.action == "view"
    assert len(str(event.detail)) <= 600  # whatever was sent, the audit row stays small


@pytest.mark.parametrize("value", BAD_VALUES, ids=IDS)
def test_today_counselor(ana, seeded, value) -> None:
    client, deps = ana
    payload = callback_payload(
        deps, "today-grid.rowData", {"today-counselor.value": value, "today-refresh.data": value}
    )
    body = _post(client, payload)
    assert _not_anas(seeded, body) == []
    if value is not None:
        rows = post_callback(client, payload).get_json()["response"]["today-grid"]["rowData"]
        assert rows == []  # never even ana's own list for a value that is not her key
        assert _last_event(seeded).action == "denied"


@pytest.mark.parametrize("value", BAD_VALUES, ids=IDS)
def test_grid_click(ana, seeded, value) -> None:
    client, deps = ana
    for action, rows in (
        (value, [{"client_id": "C-0001", "name": "x"}]),
        ({"rowId": value, "value": "contact"}, [{"client_id": "C-0001", "name": "x"}]),
        ({"rowId": "C-0001", "value": "snooze"}, value),
    ):
        payload = callback_payload(
            deps,
            "today-contact-modal.is_open..",
            {"today-grid.cellRendererData": action},
            {"today-grid.rowData": rows},
        )
        assert _not_anas(seeded, _post(client, payload)) == []


@pytest.mark.parametrize(
    "field",
    [
        "today-contact-target.data",
        "today-contact-method.value",
        "today-contact-outcome.value",
        "today-contact-note.value",
        "today-refresh.data",
    ],
)
@pytest.mark.parametrize("value", BAD_VALUES, ids=IDS)
def test_contact_form(ana, seeded, field, value) -> None:
    client, deps = ana
    before = _writes(seeded)
    body = _post(client, _contact(deps, **{field: value}))
    assert _not_anas(seeded, body) == []
    saved = "Contact logged." in body
    followups, _ = _writes(seeded)
    assert followups == before[0] + saved
    if field == "today-contact-target.data":
        assert not saved
        event = _last_event(seeded)
        assert event.action == "denied" and event.detail["action"] == "followup"


@pytest.mark.parametrize(
    "field",
    [
        "today-target.data",
        "today-snooze-until.date",
        "today-snooze-reason.value",
        "today-refresh.data",
    ],
)
@pytest.mark.parametrize("value", BAD_VALUES, ids=IDS)
def test_snooze_form(ana, seeded, field, value) -> None:
    client, deps = ana
    before = _writes(seeded)
    body = _post(client, _snooze(deps, **{field: value}))
    assert _not_anas(seeded, body) == []
    saved = body.count("Snoozed until") == 1
    _, snoozes = _writes(seeded)
    assert snoozes == before[1] + saved
    if field in ("today-target.data", "today-snooze-until.date"):
        assert not saved


def test_chain_still_verifies(ana, seeded) -> None:
    client, deps = ana
    _post(client, _contact(deps, **{"today-contact-note.value": "x" * 100_000}))
    assert verify_chain(seeded.engine) is None

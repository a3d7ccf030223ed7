"""Malformed requests are the client's fault: a 404 for a static file Dash registers but does not
ship, a 400 with a generic message for a callback body of the wrong shape. Neither is a 500,
and neither leaves a traceback in the log: one line naming the route and the reason."""

from __future__ import annotations

import logging

import pytest
from dash_client import csrf_cookie, dependencies, login, post_callback, today_payload
from sqlalchemy import select

from etl.models import AppAuditLog

CALLBACK_ROUTE = "/_dash-update-component"
SOURCE_MAPS = [
    "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js.map",
    "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.v4_4_1m1700000000.min.js.map",
]


def _assert_one_quiet_line(caplog, route: str) -> None:
    lines = [r for r in caplog.records if route in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    message = lines[0].getMessage()
    assert "\n" not in message and lines[0].exc_info is None
    assert "Traceback" not in caplog.text and "unhandled" not in caplog.text
    assert 'File "' not in caplog.text


@pytest.mark.parametrize("path", SOURCE_MAPS, ids=["plain", "fingerprinted"])
def test_registered_but_missing_source_map_is_a_quiet_404(client, caplog, path) -> None:
    caplog.set_level(logging.INFO)
    response = client.get(path)
    assert response.status_code == 404
    assert "dash_renderer" not in response.get_data(as_text=True)
    _assert_one_quiet_line(caplog, "/_dash-component-suites/dash/")
    assert "missing" in caplog.text


def test_shipped_bundle_still_served(client) -> None:
    response = client.get("/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js")
    assert response.status_code == 200 and len(response.get_data()) > 10_000


@pytest.fixture
def ana(app, seeded):
    client = app.test_client()
    assert login(client, "ana").status_code == 302
    return client, today_payload(dependencies(client), seeded.world.staff["S-C1"])


def _malformed_bodies(good: dict) -> dict[str, object]:
    unknown_output = dict(good, output="..nothing-here.children..")
    too_few = dict(good, inputs=good["inputs"][:-1])
    too_many = dict(good, inputs=[*good["inputs"], {"id": "x", "property": "value", "value": 1}])
    relabelled = dict(good, inputs=[dict(i, id="url", property="pathname") for i in good["inputs"]])
    return {
        "json-array": [good],
        "empty-array": [],
        "empty-object": {},
        "null": b"null",
        "not-json": b'{"output": ',
        "string": "hello",
        "unknown-output": unknown_output,
        "too-few-inputs": too_few,
        "too-many-inputs": too_many,
        "relabelled-inputs": relabelled,
        "inputs-not-a-list": dict(good, inputs={"a": 1}),
        "input-not-an-object": dict(good, inputs=["x"] * len(good["inputs"])),
        "output-not-a-string": dict(good, output=["x"]),
    }


SHAPES = [
    "json-array",
    "empty-array",
    "empty-object",
    "null",
    "not-json",
    "string",
    "unknown-output",
    "too-few-inputs",
    "too-many-inputs",
    "relabelled-inputs",
    "inputs-not-a-list",
    "input-not-an-object",
    "output-not-a-string",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_malformed_callback_body_is_a_quiet_400(ana, seeded, caplog, shape) -> None:
    client, good = ana
    body = _malformed_bodies(good)[shape]
    caplog.set_level(logging.INFO)
    if isinstance(body, bytes):  # sent as it is, with the renderer's content type
        response = client.post(
            CALLBACK_ROUTE,
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": csrf_cookie(client)},
        )
    else:
        response = post_callback(client, body)
    assert response.status_code == 400, (shape, response.status_code)
    assert response.get_json() == {"error": "malformed callback request"}
    _assert_one_quiet_line(caplog, CALLBACK_ROUTE)
    with seeded.engine.connect() as conn:
        event = conn.execute(
            select(AppAuditLog).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()
    assert event.action == "denied" and event.username == "ana"
    assert event.detail["reason"].startswith("malformed: ")


def test_well_formed_callback_still_answers(ana) -> None:
    client, good = ana
    response = post_callback(client, good)
    assert response.status_code == 200
    assert response.get_json()["response"]["today-grid"]["rowData"]


def test_malformed_body_without_a_session_is_still_401(client) -> None:
    response = client.post(CALLBACK_ROUTE, json=[])
    assert response.status_code == 401

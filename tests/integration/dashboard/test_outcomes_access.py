"""Who gets /outcomes: supervisors their own program, admins any, counselors nothing.

Every callback of the page is POSTed as the renderer would, and forged: another program's id,
a counselor of another program, odd JSON types. A refusal answers nothing useful and leaves a
``denied`` audit row; an answer carries aggregates only (no client id, no name).
"""

from __future__ import annotations

import json

import pytest
from dash_client import (
    budget_payload,
    check_run_payload,
    check_show_payload,
    outcomes_counselors_payload,
    outcomes_payload,
    outcomes_pickers_payload,
    post_callback,
    signed_in,
)
from sqlalchemy import func, select
from test_kit import _last, _route

from etl.models import AppAuditLog, DimClient, MartModelCheck, PiiClient

PAYLOADS = {
    "figures": lambda deps: outcomes_payload(deps, "P-EAST"),
    "counselors": lambda deps: outcomes_counselors_payload(deps, "P-EAST"),
    "pickers": outcomes_pickers_payload,
    "check-run": lambda deps: check_run_payload(deps, "P-EAST"),
    "check-show": lambda deps: check_show_payload(deps, "P-EAST"),
    "budget": lambda deps: budget_payload(deps, "P-EAST"),
}


def _count(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AppAuditLog)).scalar_one()


def _identifiers(seeded) -> list[str]:
    with seeded.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(DimClient.client_id))]
        names = [r[0] for r in conn.execute(select(PiiClient.last_name))]
    return ids + names


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_counselor_gets_no_callback(app, seeded, name):
    client, deps = signed_in(app, "ana")
    before = _count(seeded)
    response = post_callback(client, PAYLOADS[name](deps))
    assert response.status_code == 204 and response.get_data() == b""
    assert _count(seeded) == before + 1
    row = _last(seeded)
    assert (row.action, row.username) == ("denied", "ana")
    assert row.detail["reason"] == "missing view_outcomes"


def test_counselor_gets_no_page_and_no_nav_link(app, seeded):
    client, deps = signed_in(app, "ana")
    missing = _route(client, deps, "/no-such-page")
    before = _count(seeded)
    page = _route(client, deps, "/outcomes")
    assert page == missing and "outcomes-cards" not in page
    assert _count(seeded) == before + 1
    assert _last(seeded).detail == {"reason": "missing view_outcomes", "page": "/outcomes"}
    assert "/outcomes" not in json.dumps(client.get("/_dash-layout").get_json())


def test_supervisor_sees_own_program_with_figures(app, seeded):
    client, deps = signed_in(app, "carla")
    page = _route(client, deps, "/outcomes")
    assert "outcomes-cards" in page
    response = post_callback(client, outcomes_payload(deps, "P-EAST"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    cards = response.get_json()["response"]["outcomes-cards"]["children"]
    assert len(cards) == 10 and "Census (last day)" in body
    for identifier in _identifiers(seeded):
        assert identifier not in body
    row = _last(seeded)
    assert (row.action, row.category, row.username) == ("view", "program_outcomes", "carla")
    assert row.detail["program_key"] == seeded.world.programs["P-EAST"]
    pickers = post_callback(client, outcomes_pickers_payload(deps)).get_json()["response"]
    assert [o["value"] for o in pickers["outcomes-program"]["options"]] == ["P-EAST"]


@pytest.mark.parametrize(
    "payload, reason",
    [
        (lambda deps: outcomes_payload(deps, "P-HARBOR"), "program outside scope"),
        (lambda deps: outcomes_payload(deps, "P-NOPE"), "program outside scope"),
        (lambda deps: outcomes_payload(deps, ["P-EAST"]), "program outside scope"),
        (lambda deps: outcomes_payload(deps, {"program": "P-EAST"}), "program outside scope"),
        (lambda deps: outcomes_counselors_payload(deps, "P-HARBOR"), "program outside scope"),
        (lambda deps: outcomes_payload(deps, "P-EAST", counselor="S-C3"), "counselor outside"),
        (lambda deps: outcomes_payload(deps, "P-EAST", counselor=7), "counselor outside"),
        (lambda deps: check_show_payload(deps, "P-HARBOR"), "program outside scope"),
        (lambda deps: budget_payload(deps, "P-HARBOR"), "program outside scope"),
    ],
    ids=[
        "other",
        "unknown",
        "list",
        "object",
        "other-counselors",
        "their-counselor",
        "int",
        "check",
        "budget",
    ],
)
def test_supervisor_forging_another_program_gets_nothing(app, seeded, payload, reason):
    client, deps = signed_in(app, "carla")
    before = _count(seeded)
    response = post_callback(client, payload(deps))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Census" not in body and "Harbor" not in body and "Dev Patel" not in body
    assert _count(seeded) == before + 1
    row = _last(seeded)
    assert (row.action, row.outcome, row.username) == ("denied", "denied", "carla")
    assert row.detail["reason"].startswith(reason)


@pytest.mark.parametrize(
    "start, end",
    [
        ("2026-11-26", "2026-09-01"),
        ("yesterday", "2026-11-26"),
        (None, 5),
        ("2020-01-01", "2026-11-26"),
    ],
)
def test_bad_periods_are_refused_plainly(app, seeded, start, end):
    client, deps = signed_in(app, "carla")
    response = post_callback(client, outcomes_payload(deps, "P-EAST", start=start, end=end))
    assert response.status_code == 200
    status = response.get_json()["response"]["outcomes-status"]["children"]
    assert status == "Pick a period of 1 to 731 days."


def test_admin_reads_any_program_but_no_client_page(app, seeded):
    client, deps = signed_in(app, "root")
    pickers = post_callback(client, outcomes_pickers_payload(deps)).get_json()["response"]
    assert {o["value"] for o in pickers["outcomes-program"]["options"]} == {"P-EAST", "P-HARBOR"}
    response = post_callback(client, outcomes_payload(deps, "P-HARBOR"))
    assert response.status_code == 200 and "Census (last day)" in response.get_data(as_text=True)
    assert _last(seeded).detail["program_key"] == seeded.world.programs["P-HARBOR"]
    missing = _route(client, deps, "/no-such-page")
    assert _route(client, deps, "/client/C-0001") == missing


def test_supervisor_runs_the_check_for_own_program_only(app, seeded):
    client, deps = signed_in(app, "carla")
    before = _count(seeded)
    forged = post_callback(client, check_run_payload(deps, "P-HARBOR"))
    assert forged.status_code == 204
    assert _count(seeded) == before + 1
    assert _last(seeded).detail["reason"] == "program outside scope"
    with seeded.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(MartModelCheck)).scalar_one() == 0
    ran = post_callback(client, check_run_payload(deps, "P-EAST"))
    assert ran.status_code == 200
    row = _last(seeded)
    assert (row.action, row.route, row.username) == ("view", "outcomes:model-check", "carla")
    shown = post_callback(client, check_show_payload(deps, "P-EAST")).get_data(as_text=True)
    assert "AUROC (95% CI)" in shown and "Risk score" in shown
    budget = json.dumps(post_callback(client, budget_payload(deps, "P-EAST", k=3)).get_json())
    assert "With 3 clients per counselor each morning" in budget
    assert "config/risk/P-EAST.toml" in budget
    for identifier in _identifiers(seeded):
        assert identifier not in shown and identifier not in budget

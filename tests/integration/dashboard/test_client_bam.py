"""The client page's BAM panel: the three scales over time, scoped and audited like the record."""

from __future__ import annotations

import datetime as dt

import pytest
from dash_client import callback_payload, post_callback, signed_in
from sqlalchemy import insert, select

from etl import bam
from etl.models import AppAuditLog, FctBam

MATRIX = [
    ("ana", "C-0001", True),  # own caseload
    ("ana", "C-0009", False),  # another counselor's client
    ("ana", "C-0014", False),  # another program
    ("carla", "C-0001", True),  # supervisor of the program
    ("erin", "C-0001", False),
]
RISK_2 = {i: 2 for i in bam.RISK}
PROTECTIVE_3 = {i: 3 for i in bam.PROTECTIVE}
FORMS = [  # (date, recall, answers) for C-0001: Use, Risk, Protective as hand-scored below
    (dt.date(2026, 10, 5), 7, {"item_4": 1, **RISK_2, **PROTECTIVE_3}),
    (dt.date(2026, 11, 2), 30, {**{i: 1 for i in bam.RISK}, **{i: 2 for i in bam.PROTECTIVE}}),
]


@pytest.fixture(scope="module")
def forms(seeded):
    key = seeded.world.clients["C-0001"]
    with seeded.engine.begin() as conn:
        if conn.execute(select(FctBam.bam_key).limit(1)).first() is None:
            for n, (day, recall, answers) in enumerate(FORMS):
                items = {i: answers.get(i, 0) for i in bam.SCORED}
                conn.execute(
                    insert(FctBam),
                    {
                        "response_id": f"TB{n}",
                        "client_key": key,
                        "completed_at": dt.datetime.combine(day, dt.time(15)),
                        "local_date": day,
                        "recall_days": recall,
                        **items,
                        **bam.score_form(items),
                        "row_hash": "x",
                        "updated_at": dt.datetime(2026, 11, 27),
                    },
                )
    return key


def _bam_callback(app, username, client_id):
    client, deps = signed_in(app, username)
    payload = callback_payload(
        deps,
        "client-bam-chart.figure",
        {"client-id.data": client_id, "client-range.value": "all"},
    )
    return post_callback(client, payload)


@pytest.mark.parametrize(("username", "client_id", "allowed"), MATRIX)
def test_bam_panel_is_scoped_and_audited(app, seeded, forms, username, client_id, allowed):
    response = _bam_callback(app, username, client_id)
    assert response.status_code == 200
    figure = response.get_json()["response"]["client-bam-chart"]["figure"]
    with seeded.engine.connect() as conn:
        latest = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id.desc())).first()
    assert latest.username == username
    if not allowed:
        assert figure["data"] == []
        assert (latest.action, latest.outcome) == ("denied", "denied")
        assert latest.detail["action"] == "view_bam"
        return
    assert (latest.action, latest.category, latest.client_keys) == ("view", "client_bam", [forms])
    use, risk, protective = figure["data"]
    assert use["x"] == ["2026-10-05", "2026-11-02"]
    # Hand-scored: Use 1 then 0; Risk 6 x 2 = 12 then 6 x 1; Protective 6 x 3 = 18 then 12.
    assert (use["y"], risk["y"], protective["y"]) == ([1, 0], [12, 6], [18, 12])
    assert risk["marker"]["symbol"] == ["triangle-up", "circle"]  # 12 is flagged
    assert protective["marker"]["symbol"] == ["circle", "triangle-up"]  # 12 is flagged
    assert use["customdata"] == ["7-day form", "30-day form"]


def test_admins_get_no_update_and_one_denial(app, seeded, forms):
    """Admins read no client records: the kit answers nothing (204) and audits the refusal."""
    response = _bam_callback(app, "root", "C-0001")
    assert response.status_code == 204 and response.get_data() == b""
    with seeded.engine.connect() as conn:
        latest = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id.desc())).first()
    assert (latest.action, latest.username) == ("denied", "root")
    assert latest.detail["reason"] == "missing view_caseload"


def test_client_without_forms_gets_a_plain_message(app, seeded, forms):
    response = _bam_callback(app, "ana", "C-0002")
    figure = response.get_json()["response"]["client-bam-chart"]["figure"]
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == (
        "No Brief Addiction Monitor forms in this period."
    )

"""A positive screen after "no use" answers: its own card on Today, a marker on the client page.

The engine's side (which histories raise the reason) is tested in tests/unit/test_risk_rules.py;
here one client's stored score carries the reason and the pages must single it out."""

from __future__ import annotations

import json

import pytest
from dash_client import callback_payload, dependencies, login, post_callback, record_payload
from sqlalchemy import select, update

from etl.models import FctRiskScore

SAID_NO = {
    "code": "discordance",
    "signal": "discordance",
    "points": 8.0,
    "text": "reported no use since Nov 20; the screen on Nov 23 was positive for cocaine",
}
SENTENCE = "Reported no use since Nov 20; the screen on Nov 23 was positive for cocaine"


@pytest.fixture(scope="module")
def planted(seeded) -> str:
    """The first client of S-C1's caseload, whose latest score now leads with the reason."""
    client_id = seeded.world.caseloads["S-C1"][0]
    key = seeded.world.clients[client_id]
    with seeded.engine.begin() as conn:
        reasons = conn.execute(
            select(FctRiskScore.reasons).where(
                FctRiskScore.client_key == key, FctRiskScore.date == seeded.world.as_of
            )
        ).scalar_one()
        reasons = json.loads(reasons) if isinstance(reasons, str) else list(reasons)
        conn.execute(
            update(FctRiskScore)
            .where(FctRiskScore.client_key == key, FctRiskScore.date == seeded.world.as_of)
            .values(reasons=[SAID_NO, *reasons])
        )
    return client_id


def _today(client, seeded, shown=None) -> dict:
    payload = callback_payload(
        dependencies(client),
        "today-grid.rowData",
        {
            "today-counselor.value": seeded.world.staff["S-C1"],
            "today-refresh.data": 0,
            "today-filter.data": shown,
        },
    )
    response = post_callback(client, payload)
    assert response.status_code == 200
    return response.get_json()["response"]


def test_today_counts_and_filters_the_client(client, seeded, planted) -> None:
    login(client, "ana")
    data = _today(client, seeded)
    assert data["today-card-discordant"]["children"] == "1"
    assert data["today-card-discordant-sub"]["children"] == "positive screen after “no use”"
    shown = _today(client, seeded, "discordant")
    assert [r["client_id"] for r in shown["today-grid"]["rowData"]] == [planted]
    assert shown["today-filter-note"]["children"].startswith(
        f"Showing 1 of {len(data['today-grid']['rowData'])}"
    )


def test_client_page_marks_it_as_something_to_talk_through(client, seeded, planted) -> None:
    login(client, "ana")
    response = post_callback(client, record_payload(dependencies(client), planted))
    assert response.status_code == 200
    header = json.dumps(response.get_json()["response"]["client-header"])
    assert "client-discordance" in header and "To talk through: " in header
    assert SENTENCE in header and "Discordance" not in header
    # Another client of the caseload carries no marker.
    other = seeded.world.caseloads["S-C1"][1]
    response = post_callback(client, record_payload(dependencies(client), other))
    assert "client-discordance" not in json.dumps(response.get_json()["response"])

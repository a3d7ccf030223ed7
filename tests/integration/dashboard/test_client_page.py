"""The client page's header and picker: every substance of the last screen, where "All"
begins, and the neutral answer without a picker."""

from __future__ import annotations

import datetime as dt

from dash_client import callback_payload, dependencies, login, post_callback
from sqlalchemy import func, select

from dashboard.figures.client import last_screen_text
from etl.models import DimClient, FctClientDay


def _page(app, username: str, client_id: str) -> dict:
    client = app.test_client()
    assert login(client, username).status_code == 302
    payload = callback_payload(
        dependencies(client),
        "client-header.children",
        {"client-id.data": client_id, "client-range.value": "90"},
    )
    response = post_callback(client, payload)
    assert response.status_code == 200
    return response.get_json()["response"]


def test_all_says_where_the_record_begins(app, seeded) -> None:
    client_id = seeded.world.caseloads["S-C1"][0]
    with seeded.engine.connect() as conn:
        first = conn.execute(
            select(func.min(FctClientDay.date))
            .join(DimClient, DimClient.client_key == FctClientDay.client_key)
            .where(DimClient.client_id == client_id)
        ).scalar_one()
    data = _page(app, "ana", client_id)
    labels = [o["label"] for o in data["client-range"]["options"]]
    assert labels == ["30 days", "90 days", f"All (since {first:%b %-d, %Y})"]
    assert data["client-range-box"]["style"] == {}


def test_unknown_client_shows_no_picker(app, seeded) -> None:
    data = _page(app, "ana", "C-9999")
    assert data["client-range-box"]["style"] == {"display": "none"}
    assert [o["label"] for o in data["client-range"]["options"]][-1] == "All"


def test_last_screen_lists_every_substance_positives_first() -> None:
    day = dt.date(2026, 11, 20)
    panel = [
        {"local_date": day, "substance": "opioids", "result": "negative"},
        {"local_date": day, "substance": "fentanyl", "result": "positive"},
        {"local_date": day, "substance": "cocaine", "result": "negative"},
    ]
    assert last_screen_text(panel) == (
        "Nov 20: fentanyl positive, cocaine negative, opioids negative"
    )
    assert last_screen_text(None) == "none on file"

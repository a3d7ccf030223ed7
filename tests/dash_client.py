"""Driving the dashboard through Flask's test client the way the browser does: the login
form with its CSRF token, then Dash's JSON endpoints with the ``X-CSRFToken`` header. The apps
driven, here and in the browser tests, are built from ``app_config``."""

from __future__ import annotations

import re

from factories import PASSWORD
from flask.testing import FlaskClient

from dashboard.config import Config

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TODAY = "2026-11-27"


def app_config(database_url: str, **fields) -> Config:
    """The configuration tests build the app from: a fixed secret key long enough for
    production's check and "today" pinned to the day the seeded worlds end (the pages would
    otherwise show the real date's empty days); ``fields`` change or add to these."""
    return Config(
        **{"secret_key": "t" * 48, "database_url": database_url, "today": TODAY, **fields}
    )


def login_form_token(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, "login form has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    token = login_form_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def csrf_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("_csrf_token")
    return cookie.value if cookie else None


def callback_payload(
    deps: list[dict], output_contains: str, inputs: dict, state: dict | None = None
) -> dict:
    """Build the body the renderer would POST for the callback whose output names
    ``output_contains``; ``inputs``/``state`` map ``"id.prop"`` to values."""
    spec = next(d for d in deps if output_contains in d["output"])
    outputs = []
    for part in spec["output"].strip(".").split("..."):
        cid, prop = part.split("@")[0].rsplit(".", 1)
        outputs.append({"id": cid.strip("."), "property": prop})
    if len(outputs) == 1 and not spec["output"].startswith(".."):
        outputs_field = outputs[0]
    else:
        outputs_field = outputs

    def items(specs, values):
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get(f"{s['id']}.{s['property']}"),
            }
            for s in specs
        ]

    return {
        "output": spec["output"],
        "outputs": outputs_field,
        "inputs": items(spec["inputs"], inputs),
        "state": items(spec["state"], state or {}),
        "changedPropIds": [f"{s['id']}.{s['property']}" for s in spec["inputs"]],
    }


def post_callback(client: FlaskClient, payload: dict, *, with_csrf: bool = True):
    headers = {"X-CSRFToken": csrf_cookie(client)} if with_csrf and csrf_cookie(client) else {}
    return client.post("/_dash-update-component", json=payload, headers=headers)


def dependencies(client: FlaskClient) -> list[dict]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return response.get_json()


def client_from(app, address: str) -> FlaskClient:
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_in(app, username: str, password: str = PASSWORD) -> tuple[FlaskClient, list[dict]]:
    """A test client signed in as ``username`` and the app's callback list."""
    client = app.test_client()
    login(client, username, password)
    return client, dependencies(client)


# The payloads the pages' callbacks receive, as the renderer builds them.


def today_payload(deps: list[dict], counselor_key) -> dict:
    return callback_payload(
        deps,
        "today-grid.rowData",
        {"today-counselor.value": counselor_key, "today-refresh.data": 0},
    )


def record_payload(deps: list[dict], client_id, range_value="90") -> dict:
    return callback_payload(
        deps,
        "client-header.children",
        {"client-id.data": client_id, "client-range.value": range_value},
    )


def _clicked(payload: dict, prop: str) -> dict:
    payload["changedPropIds"] = [prop]
    return payload


def contact_payload(deps: list[dict], client_id="C-0001", note="fine", **state) -> dict:
    """Save on the contact dialog; ``state`` overrides any ``"id.prop"`` (dots as ``__``)."""
    values = {
        "today-contact-target.data": client_id,
        "today-contact-method.value": "call",
        "today-contact-outcome.value": "reached",
        "today-contact-note.value": note,
        "today-refresh.data": 0,
    }
    values.update({k.replace("__", "."): v for k, v in state.items()})
    payload = callback_payload(
        deps,
        "today-contact-modal.is_open@",
        {"today-contact-save.n_clicks": 1, "today-contact-cancel.n_clicks": None},
        values,
    )
    return _clicked(payload, "today-contact-save.n_clicks")


def snooze_payload(
    deps: list[dict], client_id="C-0001", until="2026-11-29", reason="fine", **state
) -> dict:
    values = {
        "today-target.data": client_id,
        "today-snooze-until.date": until,
        "today-snooze-reason.value": reason,
        "today-refresh.data": 0,
    }
    values.update({k.replace("__", "."): v for k, v in state.items()})
    payload = callback_payload(
        deps,
        "today-snooze-modal.is_open@",
        {"today-snooze-save.n_clicks": 1, "today-snooze-cancel.n_clicks": None},
        values,
    )
    return _clicked(payload, "today-snooze-save.n_clicks")


def outcomes_payload(
    deps: list[dict], program_id, start="2026-09-28", end="2026-11-26", counselor="all"
) -> dict:
    return callback_payload(
        deps,
        "outcomes-cards.children",
        {
            "outcomes-program.value": program_id,
            "outcomes-period.start_date": start,
            "outcomes-period.end_date": end,
            "outcomes-counselor.value": counselor,
        },
    )


def outcomes_counselors_payload(deps: list[dict], program_id) -> dict:
    return callback_payload(
        deps, "outcomes-counselor.options", {"outcomes-program.value": program_id}
    )


def outcomes_pickers_payload(deps: list[dict]) -> dict:
    return callback_payload(deps, "outcomes-program.options", {"outcomes-page.id": "outcomes-page"})


def _period_values(program_id, start, end) -> dict:
    return {
        "outcomes-program.value": program_id,
        "outcomes-period.start_date": start,
        "outcomes-period.end_date": end,
    }


def check_run_payload(deps: list[dict], program_id, start="2026-09-28", end="2026-11-26"):
    state = {**_period_values(program_id, start, end), "outcomes-check-done.data": 0}
    payload = callback_payload(
        deps, "outcomes-check-done.data", {"outcomes-check-run.n_clicks": 1}, state
    )
    payload["changedPropIds"] = ["outcomes-check-run.n_clicks"]
    return payload


def check_show_payload(deps: list[dict], program_id, start="2026-09-28", end="2026-11-26"):
    values = {**_period_values(program_id, start, end), "outcomes-check-done.data": 1}
    return callback_payload(deps, "outcomes-check.children", values)


def budget_payload(deps: list[dict], program_id, k=5, start="2026-09-28", end="2026-11-26"):
    values = {**_period_values(program_id, start, end), "outcomes-check-done.data": 1}
    values["outcomes-budget.value"] = k
    return callback_payload(deps, "outcomes-budget-out.children", values)


def freshness_payload(deps: list[dict], asked_at: int = 1) -> dict:
    """The header's freshness line, as the browser asks for it (``asked_at``: its clock, ms)."""
    return callback_payload(
        deps, "shell-freshness.children", {"shell-freshness-asked.data": asked_at}
    )


def reports_pickers_payload(deps: list[dict]) -> dict:
    return callback_payload(deps, "reports-program.options", {"reports-page.id": "reports-page"})


def reports_level_payload(deps: list[dict], level="records") -> dict:
    return callback_payload(deps, "reports-grain.options", {"reports-level.value": level})


def _reports_state(program_id, **values) -> dict:
    chosen = {
        "program": program_id,
        "start": "2026-09-01",
        "end": "2026-11-27",
        "level": "aggregate",
        "grain": "month",
        "format": "pdf",
        "k": 5,
        "mode": "safe_harbor",
        **values,
    }
    return {
        "reports-program.value": chosen["program"],
        "reports-period.start_date": chosen["start"],
        "reports-period.end_date": chosen["end"],
        "reports-level.value": chosen["level"],
        "reports-grain.value": chosen["grain"],
        "reports-format.value": chosen["format"],
        "reports-k.value": chosen["k"],
        "reports-mode.value": chosen["mode"],
    }


def reports_preview_payload(deps: list[dict], program_id, **values) -> dict:
    return callback_payload(
        deps,
        "reports-summary.children",
        {"reports-preview-btn.n_clicks": 1},
        _reports_state(program_id, **values),
    )


def reports_download_payload(deps: list[dict], program_id, **values) -> dict:
    return callback_payload(
        deps,
        "reports-download.data",
        {"reports-download-btn.n_clicks": 1},
        _reports_state(program_id, **values),
    )

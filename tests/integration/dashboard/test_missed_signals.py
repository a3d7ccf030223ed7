"""The Missed check-ins and Sleep & stress pages on a small hand-made caseload
(``factories.seed_small_caseload``, scored by the real risk engine), on both databases: the
numbers equal the ones worked out by hand below, and every callback refuses what the caller
may not see with no update or an empty answer and exactly one audit row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dash_client import app_config, callback_payload, dependencies, post_callback, signed_in
from factories import SmallWorld, add_small_users, seed_small_caseload
from sqlalchemy import Engine, func, select

from dashboard import create_app
from dashboard.triage import reason_line, reasons_list
from etl.db import make_engine
from etl.models import AppAuditLog, AppFollowup, Base, FctRiskScore


@dataclass
class Small:
    url: str
    engine: Engine
    world: SmallWorld


@pytest.fixture(scope="module")
def small(backend: str, fresh_database) -> Small:
    url = fresh_database(backend)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_small_caseload(engine)
    add_small_users(engine)
    yield Small(url, engine, world)
    engine.dispose()


@pytest.fixture
def app(small):
    server = create_app(app_config(small.url))
    yield server
    server.extensions["caseload_db"].dispose()


def _missed(client, deps, counselor_key):
    payload = callback_payload(
        deps,
        "missed-asof.children",
        {"missed-counselor.value": counselor_key, "missed-refresh.data": 0},
    )
    return post_callback(client, payload)


def _signals(client, deps, counselor_key):
    payload = callback_payload(
        deps, "signals-asof.children", {"signals-counselor.value": counselor_key}
    )
    return post_callback(client, payload)


def _open_contact(client, deps, client_id):
    payload = callback_payload(
        deps,
        "missed-contact-modal.is_open..",
        {"missed-grid.cellRendererData": {"rowId": client_id, "value": "contact"}},
    )
    return post_callback(client, payload)


def _save_contact(client, deps, client_id):
    payload = callback_payload(
        deps,
        "missed-contact-modal.is_open@",
        {"missed-contact-save.n_clicks": 1, "missed-contact-cancel.n_clicks": None},
        {
            "missed-contact-target.data": client_id,
            "missed-contact-method.value": "call",
            "missed-contact-outcome.value": "no_answer",
            "missed-contact-note.value": "",
            "missed-refresh.data": 0,
        },
    )
    payload["changedPropIds"] = ["missed-contact-save.n_clicks"]
    return post_callback(client, payload)


def _audit_count(small) -> int:
    with small.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AppAuditLog)).scalar_one()


def _last(small):
    with small.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()


# --- values, worked out by hand --------------------------------------------------------
# Today Fri Nov 27 is in progress: Abel's and Dana's check-ins of today are pending.
# 7 days (Nov 21-27), met/missed: Abel 3/3, Bea 7/0, Cara 5/0 (weekdays), Dana 6/0 -> 21/24
# = 88%; Nov 14-20: Abel 7, Bea 6/1 (Nov 17), Cara 5, Dana 7 -> 25/26, so -9 points.
# 28 days (Oct 31-Nov 27): Abel 24/3, Bea 26/2, Cara 20, Dana 27 -> 97/102 = 95%; the 12 days
# enrolled before (Oct 19-30): 46/0 = 100%, so -5 points.


def test_missed_numbers_equal_the_hand_count(app, small) -> None:
    client, deps = signed_in(app, "kim")
    data = _missed(client, deps, small.world.staff["K1"]).get_json()["response"]
    cards = {k.removeprefix("missed-card-"): v["children"] for k, v in data.items() if "card" in k}
    assert (
        cards["yesterday"] == "1" and cards["yesterday-sub"] == "expected Thu Nov 26, not received"
    )
    assert (cards["streak2"], cards["streak3"], cards["streak7"]) == ("1", "1", "0")
    assert cards["adh7"] == "88%" and cards["adh7-sub"] == "-9 points on the previous 7 days"
    assert cards["adh28"] == "95%" and cards["adh28-sub"] == "-5 points on the previous 28 days"
    assert data["missed-asof"]["children"].startswith(
        "Scores for today, Friday Nov 27 · scored 9:00 AM"
    )
    assert "pending, not missed" in data["missed-asof"]["children"]

    rows = data["missed-grid"]["rowData"]
    assert [r["client_id"] for r in rows] == ["SM-A", "SM-B", "SM-C", "SM-D"]
    # The phone's card list is as tall as its 4 cards, not a fixed box.
    assert data["missed-phone-grid"]["style"]["height"] == "min(340px, calc(100vh - 40vh))"
    by = {r["client_id"]: r for r in rows}
    assert (by["SM-A"]["missed_streak"], by["SM-A"]["missed_28d"]) == (3, 3)
    assert by["SM-A"]["last_checkin"] == "2026-11-23"
    assert by["SM-A"]["last_checkin_text"] == "Nov 23 · 4 d ago"
    # The engine's per-client adherence: Abel 3 of 6 settled days (50%), 24 of 27 (89%).
    assert (by["SM-A"]["adh7"], by["SM-A"]["adh28"]) == (50, 89)
    assert (by["SM-B"]["missed_streak"], by["SM-B"]["missed_28d"]) == (0, 2)
    assert (by["SM-B"]["adh7"], by["SM-B"]["adh28"]) == (100, 93)  # 26 of 28
    assert by["SM-C"]["schedule"] == "Weekdays" and by["SM-D"]["adh7"] == 100  # 6 of 6
    assert by["SM-D"]["missed_streak"] == 0  # today pending is not missed

    heat = data["missed-heatmap"]["figure"]["data"][0]
    assert heat["y"] == ["SM-A", "SM-B", "SM-C", "SM-D"]
    assert heat["x"][0] == "2026-10-31" and heat["x"][-1] == "2026-11-27"
    # z: 0.5 not expected, 1.5 received, 2.5 pending, 3.5 missed
    assert heat["z"][0][-4:] == [3.5, 3.5, 3.5, 2.5]  # Abel: Nov 24-26 missed, today pending
    assert heat["z"][1][heat["x"].index("2026-11-17")] == 3.5  # Bea missed Nov 17
    assert heat["z"][1][-1] == 1.5
    cara = dict(zip(heat["x"], heat["z"][2], strict=True))
    assert cara["2026-11-21"] == 0.5 and cara["2026-11-23"] == 1.5  # Sat not expected, Mon done
    assert heat["z"][3][-1] == 2.5 and heat["z"][3].count(3.5) == 0


def test_signals_ranking_equals_the_hand_count(app, small) -> None:
    client, deps = signed_in(app, "kim")
    data = _signals(client, deps, small.world.staff["K1"]).get_json()["response"]
    rows = data["signals-grid"]["rowData"]
    # Dana: stress 9 after a steady 3 (SD 0, floored at 1.0): 6.0 SD, level and deviation
    # points; Bea: 3 short nights of 7 (the rule's minimum). Abel and Cara: no flag.
    assert [r["client_id"] for r in rows] == ["SM-D", "SM-B"]
    dana, bea = rows
    assert (dana["stress"], dana["stress_z"], dana["short_nights"]) == (9, 6.0, 0)
    assert (bea["short_nights"], bea["stress_z"]) == (3, 0.0)
    # Shown to one decimal with its sign, whatever the number ("+6.0", not "6").
    assert (dana["stress_z_text"], bea["stress_z_text"]) == ("+6.0", "0.0")
    with small.engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(FctRiskScore.client_key, FctRiskScore.reasons).where(
                    FctRiskScore.date == small.world.today
                )
            ).all()
        )
    reasons = {
        cid: {r["code"]: r for r in reasons_list(stored[small.world.clients[cid]])}
        for cid in ("SM-B", "SM-D")
    }
    assert dana["stress_text"] == reason_line(reasons["SM-D"]["stress"])
    assert bea["sleep_text"] == reason_line(reasons["SM-B"]["sleep"])
    assert bea["sleep_text"].startswith("Poor sleep: slept under 6 h on 3 of the last 7 nights")
    assert "sleep" not in reasons["SM-D"] and "stress" not in reasons["SM-B"]
    assert "under 6 h, flagged from 3 of the last 7" in data["signals-rules"]["children"]
    assert (
        "from 7/10, or when it is well above what is usual for the client (1.5 times"
        in (data["signals-rules"]["children"])
    )
    scatter = data["signals-scatter"]["figure"]["data"]
    marks = {cid: trace["marker"]["symbol"] for trace in scatter for cid in trace["customdata"]}
    assert set(marks) == {"SM-A", "SM-B", "SM-C", "SM-D"}


# --- access -------------------------------------------------------------------------------


def test_no_session_gets_401_on_every_callback(app, small) -> None:
    client, deps = signed_in(app, "kim")
    anonymous = app.test_client()
    for response in (
        _missed(anonymous, deps, small.world.staff["K1"]),
        _signals(anonymous, deps, small.world.staff["K1"]),
        _open_contact(anonymous, deps, "SM-A"),
        _save_contact(anonymous, deps, "SM-A"),
    ):
        assert response.status_code == 401
        assert "Abel" not in response.get_data(as_text=True)


FORGED = [
    ("kim", "K2"),  # a colleague's caseload, same program
    ("kim", "O1"),  # another program
    ("sue", "O1"),  # a supervisor, another program
    ("otto", "K1"),
]


@pytest.mark.parametrize("username, staff_id", FORGED)
@pytest.mark.parametrize("page", ["missed", "signals"])
def test_forged_counselor_keys_get_nothing_and_one_audit_row(app, small, username, staff_id, page):
    client, deps = signed_in(app, username)
    before = _audit_count(small)
    call = _missed if page == "missed" else _signals
    response = call(client, deps, small.world.staff[staff_id])
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert all(name not in body for name in small.world.names.values())
    assert response.get_json()["response"][f"{page}-grid"]["rowData"] == []
    assert _audit_count(small) == before + 1
    row = _last(small)
    assert row.action == "denied" and row.username == username
    assert row.detail["reason"] == "caseload outside scope"


@pytest.mark.parametrize("username, client_id", [("kim", "SM-E"), ("kim", "SM-F"), ("sue", "SM-F")])
def test_forged_client_ids_into_the_contact_dialog(app, small, username, client_id) -> None:
    client, deps = signed_in(app, username)
    before = _audit_count(small)
    opened = _open_contact(client, deps, client_id)
    assert opened.status_code == 204 and opened.get_data() == b""
    assert _audit_count(small) == before + 1
    assert _last(small).client_keys == [small.world.clients[client_id]]
    with small.engine.connect() as conn:
        contacts = conn.execute(select(func.count()).select_from(AppFollowup)).scalar_one()
    saved = _save_contact(client, deps, client_id)
    assert "The contact was not saved." in saved.get_data(as_text=True)
    assert _audit_count(small) == before + 2
    row = _last(small)
    assert row.action == "denied" and row.detail["action"] == "followup"
    with small.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AppFollowup)).scalar_one() == contacts


def test_the_contact_dialog_names_the_client_and_the_flag(app, small) -> None:
    client, deps = signed_in(app, "kim")
    data = _open_contact(client, deps, "SM-A").get_json()["response"]
    assert data["missed-contact-title"]["children"] == "Log a contact with Abel Ames"
    assert data["missed-contact-flag"]["children"].startswith("Answers the flag of Fri Nov 27: ")
    assert data["missed-contact-outcome"]["value"] is None
    # Save stays disabled until an outcome is chosen, in the browser (the e2e tests click it).
    save = next(d for d in deps if d["output"] == "missed-contact-save.disabled")
    assert save["clientside_function"]["function_name"] == "needsOutcome"
    before = _audit_count(small)
    assert "Contact logged." in _save_contact(client, deps, "SM-A").get_data(as_text=True)
    row = _last(small)
    assert _audit_count(small) == before + 1
    assert row.action == "followup" and row.route == "missed:log-contact"
    assert row.client_keys == [small.world.clients["SM-A"]]


def test_admin_gets_nothing_from_any_callback(app, small) -> None:
    client, deps = signed_in(app, "root")
    for call, arg in (
        (_missed, small.world.staff["K1"]),
        (_signals, small.world.staff["K1"]),
        (_open_contact, "SM-A"),
        (_save_contact, "SM-A"),
    ):
        before = _audit_count(small)
        response = call(client, deps, arg)
        assert response.status_code == 204 and response.get_data() == b""
        assert _audit_count(small) == before + 1
        assert _last(small).action == "denied"
    for prefix in ("missed", "signals"):
        picker = callback_payload(
            deps, f"{prefix}-counselor.options", {f"{prefix}-page.id": f"{prefix}-page"}
        )
        assert post_callback(client, picker).status_code == 204


def test_views_are_audited_with_the_caseload(app, small) -> None:
    client, deps = signed_in(app, "sue")
    for call, category in ((_missed, "missed_checkins"), (_signals, "sleep_stress")):
        before = _audit_count(small)
        data = call(client, deps, small.world.staff["K1"]).get_json()["response"]
        assert data  # a supervisor reads their program's caseloads
        assert _audit_count(small) == before + 1
        row = _last(small)
        assert row.action == "view" and row.category == category and row.username == "sue"
        assert sorted(row.client_keys) == sorted(
            small.world.clients[c] for c in ("SM-A", "SM-B", "SM-C", "SM-D")
        )


def test_supervisor_trend_has_each_counselor_and_the_program(app, small) -> None:
    client, deps = signed_in(app, "sue")
    data = _missed(client, deps, small.world.staff["K1"]).get_json()["response"]
    names = [t["name"] for t in data["missed-trend"]["figure"]["data"]]
    assert "program" in names and len(names) == 3  # two counselors of SM-1 and the program
    kim, _ = signed_in(app, "kim")
    own = _missed(kim, dependencies(kim), small.world.staff["K1"]).get_json()["response"]
    assert [t["name"] for t in own["missed-trend"]["figure"]["data"]] == ["this caseload"]


def test_supervisor_distributions_cover_the_whole_program(app, small) -> None:
    def sleep_histogram(client):
        data = _signals(client, dependencies(client), small.world.staff["K1"])
        figure = data.get_json()["response"]["signals-dist-sleep"]["figure"]
        return figure["layout"]["title"]["text"], len(figure["data"][0]["x"])

    sue, _ = signed_in(app, "sue")
    # SM-1's five clients (K1's four and K2's Eli), each answered in the last 7 days.
    assert sleep_histogram(sue) == ("Hours slept, whole program (5 clients)", 5)
    kim, _ = signed_in(app, "kim")
    assert sleep_histogram(kim) == ("Hours slept", 4)

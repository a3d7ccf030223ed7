"""Forged callback payloads from signed-in users: another counselor's client through every
input that carries a client id (the record's store, the URL, a grid click, the contact and
snooze forms), relabelled inputs, another program's counselor in the picker. Each answers
nothing about the client, writes nothing, and leaves a 'denied' audit row. And access follows
the roster: a supervisor moved or demoted there loses the old view at the next request."""

from __future__ import annotations

import datetime as dt

import pytest
from dash_client import (
    callback_payload,
    contact_payload,
    dependencies,
    login,
    post_callback,
    record_payload,
    snooze_payload,
    today_payload,
)
from factories import add_user
from sqlalchemy import delete, func, insert, select, update

from etl.audit import verify_chain
from etl.models import AppAuditLog, AppFollowup, AppSnooze, AppUser, DimProgram, DimStaff

TODAY = dt.date(2026, 11, 27)


def _signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client, dependencies(client)


def _last_event(seeded):
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()


def _count(seeded, model) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def _names_in(seeded, text: str) -> list[str]:
    return [n for n in seeded.world.names.values() if n in text]


def _record(client, deps, client_id, range_value="90"):
    return post_callback(client, record_payload(deps, client_id, range_value))


def _contact(client, deps, client_id, note="forged"):
    return post_callback(client, contact_payload(deps, client_id, note=note))


def _snooze(client, deps, client_id, until="2026-11-29"):
    return post_callback(client, snooze_payload(deps, client_id, until, reason="forged"))


def _today(client, deps, counselor_key):
    return post_callback(client, today_payload(deps, counselor_key))


def _assert_denied(seeded, username: str, client_id: str | None, action: str | None = None):
    event = _last_event(seeded)
    assert event.action == "denied" and event.outcome == "denied"
    assert event.username == username and event.role is not None
    assert event.session_ref and event.source_address
    if client_id is not None:
        assert event.client_keys == [seeded.world.clients[client_id]]
    if action is not None:
        assert event.detail["action"] == action
    return event


def test_counselor_cannot_reach_a_colleagues_client_through_any_input(app, seeded) -> None:
    """ana (S-C1) forges C-0009 (ben's client, same program) everywhere a client id goes."""
    client, deps = _signed_in(app, "ana")
    target = "C-0009"
    followups, snoozes = _count(seeded, AppFollowup), _count(seeded, AppSnooze)

    # 1. the record page's store
    body = _record(client, deps, target).get_data(as_text=True)
    assert "No client record to show." in body and _names_in(seeded, body) == []
    _assert_denied(seeded, "ana", target, "view")

    # 2. the URL: the routing callback only echoes the id into the store; the record refuses it
    routed = callback_payload(
        deps,
        "_pages_content.children",
        {"_pages_location.pathname": f"/client/{target}", "_pages_location.search": ""},
    )
    assert _names_in(seeded, post_callback(client, routed).get_data(as_text=True)) == []

    # 3. a grid click on a row that is not on ana's grid: no server data, only the echo
    click = callback_payload(
        deps,
        "today-contact-modal.is_open..",
        {"today-grid.cellRendererData": {"rowId": target, "value": "contact"}},
        {"today-grid.rowData": [{"client_id": target, "name": "Typed By Attacker"}]},
    )
    body = post_callback(client, click).get_data(as_text=True)
    assert _names_in(seeded, body) == []

    # 4. contact and snooze saved against the forged target
    body = _contact(client, deps, target).get_data(as_text=True)
    assert "The contact was not saved." in body and _names_in(seeded, body) == []
    _assert_denied(seeded, "ana", target, "followup")
    body = _snooze(client, deps, target).get_data(as_text=True)
    assert "The snooze was not saved." in body and _names_in(seeded, body) == []
    _assert_denied(seeded, "ana", target, "snooze")

    assert _count(seeded, AppFollowup) == followups
    assert _count(seeded, AppSnooze) == snoozes
    assert verify_chain(seeded.engine) is None


@pytest.mark.parametrize("value", ["C-0009", "/client/C-0009", "C-0014"])
def test_inputs_relabelled_as_the_url_change_nothing(app, seeded, value) -> None:
    """Dash itself matches inputs by position, not by name: a payload that calls the record's
    inputs ``_pages_location.pathname`` is refused before the callback runs (400), and the
    refusal is an audited denial."""
    client, deps = _signed_in(app, "ana")
    payload = callback_payload(
        deps, "client-header.children", {"client-id.data": value, "client-range.value": "all"}
    )
    payload["inputs"] = [
        {"id": "_pages_location", "property": "pathname", "value": value},
        {"id": "_pages_location", "property": "search", "value": "all"},
        {"id": "_pages_location", "property": "hash", "value": 0},  # the reload counter's place
    ]
    payload["changedPropIds"] = ["_pages_location.pathname"]
    response = post_callback(client, payload)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert value not in body and _names_in(seeded, body) == []
    event = _assert_denied(seeded, "ana", None)
    assert event.detail["reason"].startswith("malformed: inputs")
    assert event.client_keys is None


@pytest.mark.parametrize(
    "username, staff_id", [("carla", "S-C3"), ("erin", "S-C1"), ("erin", "S-C2"), ("ana", "S-C2")]
)
def test_picker_value_outside_the_program_is_refused_and_audited(
    app, seeded, username, staff_id
) -> None:
    client, deps = _signed_in(app, username)
    response = _today(client, deps, seeded.world.staff[staff_id])
    data = response.get_json()["response"]
    assert data["today-grid"]["rowData"] == []
    assert _names_in(seeded, response.get_data(as_text=True)) == []
    event = _assert_denied(seeded, username, None)
    assert event.detail["reason"] == "caseload outside scope"
    assert event.detail["counselor_key"] == str(seeded.world.staff[staff_id])


@pytest.fixture
def roster_supervisor(seeded):
    """A supervisor of P-EAST with a login, removed again afterwards (the warehouse is shared
    by the module's tests)."""
    now = dt.datetime(2026, 11, 1)
    with seeded.engine.begin() as conn:
        conn.execute(
            insert(DimStaff).values(
                staff_id="S-S9",
                program_key=seeded.world.programs["P-EAST"],
                first_name="Sam",
                last_name="Moved",
                email=None,
                role="supervisor",
                row_hash="0" * 64,
                updated_at=now,
            )
        )
    user_id = add_user(seeded.engine, "sam", "supervisor", staff_id="S-S9")
    yield user_id
    with seeded.engine.begin() as conn:
        conn.execute(delete(AppUser).where(AppUser.user_id == user_id))
        conn.execute(delete(DimStaff).where(DimStaff.staff_id == "S-S9"))


def _roster_change(seeded, **values) -> None:
    """What a staff.csv re-load does to the staff record (the ingest upserts these columns)."""
    with seeded.engine.begin() as conn:
        conn.execute(update(DimStaff).where(DimStaff.staff_id == "S-S9").values(**values))


def _visible(client, deps, seeded, client_id: str) -> bool:
    body = _record(client, deps, client_id).get_data(as_text=True)
    return seeded.world.names[client_id] in body


def _picker(client, deps) -> set[int]:
    payload = callback_payload(deps, "today-counselor.options", {"today-page.id": "today-page"})
    data = post_callback(client, payload).get_json()["response"]
    return {o["value"] for o in data["today-counselor"]["options"]}


def test_access_follows_the_roster_not_the_login_row(app, seeded, roster_supervisor) -> None:
    staff = seeded.world.staff
    client, deps = _signed_in(app, "sam")
    assert _visible(client, deps, seeded, "C-0001") and not _visible(client, deps, seeded, "C-0014")
    assert _picker(client, deps) == {staff["S-C1"], staff["S-C2"]}

    # The roster moves Sam to Harbor: the open session now sees Harbor, not Eastside.
    _roster_change(seeded, program_key=seeded.world.programs["P-HARBOR"])
    assert not _visible(client, deps, seeded, "C-0001")
    _assert_denied(seeded, "sam", "C-0001", "view")
    assert _visible(client, deps, seeded, "C-0014")
    assert _picker(client, deps) == {staff["S-C3"]}
    with seeded.engine.connect() as conn:
        harbor = conn.execute(
            select(DimProgram.name).where(DimProgram.program_id == "P-HARBOR")
        ).scalar_one()
    assert harbor in client.get("/_dash-layout").get_data(as_text=True)

    # The roster no longer lists Sam as a supervisor: no program-wide view any more.
    _roster_change(seeded, role="counselor")
    assert not _visible(client, deps, seeded, "C-0014")
    with seeded.engine.connect() as conn:
        own = conn.execute(
            select(DimStaff.staff_key).where(DimStaff.staff_id == "S-S9")
        ).scalar_one()
    assert _picker(client, deps) == {own}
    response = _today(client, deps, staff["S-C3"])
    assert response.get_json()["response"]["today-grid"]["rowData"] == []
    assert "Counselor" in client.get("/_dash-layout").get_data(as_text=True)

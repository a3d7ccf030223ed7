"""Today's ranking on real rows, and the two writes (contact, snooze): linked to the day's
risk flag, audited in the same transaction, shown on the row afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from dash_client import dependencies, login, post_callback, today_payload
from sqlalchemy import func, select

from dashboard.auth.permissions import permissions_for
from dashboard.commands import (
    AccessDenied,
    InvalidInput,
    lift_snooze,
    log_followup,
    snooze_client,
)
from dashboard.commands.context import CommandContext
from dashboard.read.scope import Scope
from dashboard.triage import reason_line, reasons_list
from etl.audit import Actor, verify_chain
from etl.models import AppAuditLog, AppFollowup, AppSnooze, DimClient, FctRiskScore


def _rows(client, deps, counselor_key):
    return post_callback(client, today_payload(deps, counselor_key)).get_json()["response"]


def _ctx(seeded, username, role, staff_id=None) -> CommandContext:
    """The context a signed-in user's request would build (program P-EAST)."""
    scope = Scope(
        user_id=seeded.users[username],
        role=role,
        staff_key=seeded.world.staff[staff_id] if staff_id else None,
        program_key=seeded.world.programs["P-EAST"],
        permissions=permissions_for(role),
    )
    return CommandContext(
        scope=scope,
        actor=Actor(user_id=scope.user_id, username=username, role=role),
        now=dt.datetime(2026, 11, 27, 14, 5),
        today=dt.date(2026, 11, 27),
    )


def test_today_ranks_newly_high_and_high_first(client, seeded) -> None:
    login(client, "ana")
    data = _rows(client, dependencies(client), seeded.world.staff["S-C1"])
    rows = data["today-grid"]["rowData"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert {r["client_id"] for r in rows} == set(seeded.world.caseloads["S-C1"])
    assert "C-0008" not in {r["client_id"] for r in rows}  # discharged
    by_id = {r["client_id"]: r for r in rows}
    # C-0002 crossed into high on the last day; C-0001 has been high for days.
    assert by_id["C-0002"]["newly_high"] is True and rows[0]["client_id"] == "C-0002"
    assert by_id["C-0001"]["tier"] in ("High", "Critical")
    assert by_id["C-0001"]["followup"] == "Due today"
    assert len(by_id["C-0001"]["spark"]) == 14
    # The top two reasons, ranked by points, in words.
    with seeded.engine.connect() as conn:
        stored = conn.execute(
            select(FctRiskScore.reasons).where(
                FctRiskScore.client_key == seeded.world.clients["C-0001"],
                FctRiskScore.date == seeded.world.as_of,
            )
        ).scalar_one()
    stored = reasons_list(stored)
    points = [r["points"] for r in stored]
    assert len(stored) >= 2 and points == sorted(points, reverse=True)
    assert by_id["C-0001"]["reasons"] == "\n".join(reason_line(r) for r in stored[:2])
    # Newly high first (as many as the warehouse holds for that day), then by tier.
    with seeded.engine.connect() as conn:
        newly = conn.execute(
            select(func.count())
            .select_from(FctRiskScore)
            .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
            .where(
                DimClient.counselor_key == seeded.world.staff["S-C1"],
                DimClient.discharge_date.is_(None),
                FctRiskScore.date == seeded.world.as_of,
                FctRiskScore.is_newly_high.is_(True),
            )
        ).scalar_one()
    assert newly >= 1 and [r["newly_high"] for r in rows[:newly]] == [True] * newly
    tiers = [r["tier"] for r in rows[newly:]]
    order = {"Critical": 3, "High": 2, "Moderate": 1, "Low": 0}
    assert [order[t] for t in tiers] == sorted((order[t] for t in tiers), reverse=True)
    assert data["today-card-newly_high"]["children"] == str(newly)
    assert int(data["today-card-high"]["children"]) >= 2
    # The fixture's scores end the day before the pinned today, scored after that day ended.
    assert data["today-asof"]["children"] == (
        "Latest scores: yesterday, Thursday Nov 26 · no check-ins for today loaded yet"
    )


def test_followup_is_linked_to_the_flag_and_audited(seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    followup_id = log_followup(
        seeded.engine,
        ctx,
        client_id="C-0001",
        method="call",
        outcome="left_message",
        note="Talked about sleep; will come in Monday.",
    )
    with seeded.engine.connect() as conn:
        row = conn.execute(select(AppFollowup).where(AppFollowup.followup_id == followup_id)).one()
        flag = conn.execute(
            select(FctRiskScore).where(
                FctRiskScore.client_key == seeded.world.clients["C-0001"],
                FctRiskScore.date == dt.date(2026, 11, 26),
            )
        ).one()
        audit = conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.action == "followup")
            .order_by(AppAuditLog.event_id.desc())
        ).first()
    assert (row.risk_date, row.risk_score, row.risk_tier) == (flag.date, flag.score, flag.tier)
    assert row.method == "call" and row.user_id == seeded.users["ana"]
    assert audit.client_keys == [seeded.world.clients["C-0001"]]
    assert audit.detail == {
        "followup_id": followup_id,
        "method": "call",
        "outcome": "left_message",
        "has_note": True,
    }
    assert "sleep" not in str(audit.detail).lower()  # the note never reaches the log
    assert verify_chain(seeded.engine) is None


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"client_id": "C-0009", "method": "call"}, AccessDenied),
        ({"client_id": "C-0001", "method": "carrier-pigeon"}, InvalidInput),
        ({"client_id": "C-0001", "method": "call", "note": "x" * 1001}, InvalidInput),
        ({"client_id": "C-0001", "method": "no_answer"}, InvalidInput),  # an outcome now
    ],
)
def test_followup_refusals(seeded, kwargs, error) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    with pytest.raises(error):
        log_followup(seeded.engine, ctx, outcome="reached", **{"note": None, **kwargs})


def test_admin_cannot_log_contacts(seeded) -> None:
    ctx = _ctx(seeded, "root", "admin")
    with pytest.raises(AccessDenied):
        log_followup(
            seeded.engine, ctx, client_id="C-0001", method="call", outcome="reached", note=None
        )


def test_a_contact_needs_an_outcome(seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    with pytest.raises(InvalidInput, match="choose an outcome"):
        log_followup(seeded.engine, ctx, client_id="C-0001", method="call", outcome=None, note=None)


def test_contact_and_snooze_show_on_the_row(client, seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    log_followup(
        seeded.engine, ctx, client_id="C-0002", method="text", outcome="reached", note=None
    )
    snooze_client(
        seeded.engine, ctx, client_id="C-0003", until=dt.date(2026, 11, 30), reason="in group today"
    )
    with pytest.raises(InvalidInput):
        snooze_client(seeded.engine, ctx, client_id="C-0003", until=dt.date(2026, 11, 26))
    login(client, "ana")
    rows = _rows(client, dependencies(client), seeded.world.staff["S-C1"])
    rows = rows["today-grid"]["rowData"]
    by_id = {r["client_id"]: r for r in rows}
    # 14:05 UTC is 09:05 in New York.
    assert by_id["C-0002"]["followup"] == "Contacted 9:05 AM · text · reached"
    assert by_id["C-0002"]["followup_kind"] == "done"
    assert by_id["C-0003"]["followup"] == "Snoozed until Nov 30 by Ana Ruiz"
    assert rows[-1]["client_id"] == "C-0003"  # snoozed rows sink to the bottom
    with seeded.engine.connect() as conn:
        snooze = conn.execute(select(AppSnooze)).first()
        audit = conn.execute(select(AppAuditLog).where(AppAuditLog.action == "snooze")).first()
    assert snooze.until_date == dt.date(2026, 11, 30)
    assert snooze.risk_date == dt.date(2026, 11, 26)  # linked to the flag it held
    assert snooze.risk_tier is not None
    assert audit.detail["snooze_id"] == snooze.snooze_id


def _tier_of(seeded, client_id: str) -> str:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(FctRiskScore.tier)
            .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
            .where(DimClient.client_id == client_id)
            .order_by(FctRiskScore.date.desc())
            .limit(1)
        ).scalar_one()


def _client_of_tier(seeded, tiers: tuple[str, ...], besides: str | None = None) -> str:
    """The last of Ana's clients in one of ``tiers`` (the module's other tests use the first)."""
    used = {"C-0001", "C-0002", "C-0003", besides}  # written to by the module's other tests
    return [
        c for c in seeded.world.caseloads["S-C1"] if c not in used and _tier_of(seeded, c) in tiers
    ][-1]


def _snoozes(seeded, client_id: str) -> list:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppSnooze)
            .join(DimClient, DimClient.client_key == AppSnooze.client_key)
            .where(DimClient.client_id == client_id)
            .order_by(AppSnooze.snooze_id)
        ).all()


def test_a_snooze_needs_a_reason(seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    before = len(_snoozes(seeded, "C-0003"))
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput, match="say why"):
            snooze_client(
                seeded.engine, ctx, client_id="C-0003", until=dt.date(2026, 11, 28), reason=reason
            )
    assert len(_snoozes(seeded, "C-0003")) == before


def test_a_high_flag_is_held_past_tomorrow_only_after_a_contact_attempt(seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    client_id = _client_of_tier(seeded, ("high", "critical"))
    tomorrow = ctx.today + dt.timedelta(days=1)
    with pytest.raises(InvalidInput, match="until tomorrow at most"):
        snooze_client(
            seeded.engine,
            ctx,
            client_id=client_id,
            until=tomorrow + dt.timedelta(days=1),
            reason="away",
        )
    # Until tomorrow is allowed without a contact...
    snooze_client(seeded.engine, ctx, client_id=client_id, until=tomorrow, reason="away")
    # ...and longer once an attempt (even one that did not reach them) is logged.
    log_followup(
        seeded.engine, ctx, client_id=client_id, method="call", outcome="left_message", note=None
    )
    snooze_client(
        seeded.engine,
        ctx,
        client_id=client_id,
        until=tomorrow + dt.timedelta(days=3),
        reason="called, will try again Monday",
    )
    untils = [s.until_date for s in _snoozes(seeded, client_id)]
    assert untils == [tomorrow, tomorrow + dt.timedelta(days=3)]


def test_undo_snooze_puts_the_row_back_and_is_audited(client, seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    high = _client_of_tier(seeded, ("high", "critical"))
    client_id = _client_of_tier(seeded, ("low", "moderate", "high", "critical"), besides=high)
    snooze_client(  # until tomorrow: allowed for any tier without a contact
        seeded.engine, ctx, client_id=client_id, until=dt.date(2026, 11, 28), reason="in group"
    )
    login(client, "ana")
    deps = dependencies(client)
    rows = _rows(client, deps, seeded.world.staff["S-C1"])["today-grid"]["rowData"]
    assert {r["client_id"]: r for r in rows}[client_id]["followup_kind"] == "snoozed"
    assert lift_snooze(seeded.engine, ctx, client_id=client_id) == 1
    rows = _rows(client, deps, seeded.world.staff["S-C1"])["today-grid"]["rowData"]
    back = {r["client_id"]: r for r in rows}[client_id]
    assert back["followup_kind"] != "snoozed" and "Snoozed" not in back["followup"]
    with pytest.raises(InvalidInput, match="no snooze to undo"):
        lift_snooze(seeded.engine, ctx, client_id=client_id)
    (snooze,) = _snoozes(seeded, client_id)
    with seeded.engine.connect() as conn:
        audit = conn.execute(select(AppAuditLog).where(AppAuditLog.action == "unsnooze")).one()
        assert verify_chain(conn) is None
    assert snooze.lifted_at is not None and snooze.lifted_by == seeded.users["ana"]
    assert audit.detail["snooze_ids"] == [snooze.snooze_id]
    assert audit.client_keys == [seeded.world.clients[client_id]]
    assert audit.username == "ana"


def test_a_refused_client_cannot_be_unsnoozed(seeded) -> None:
    ctx = _ctx(seeded, "ana", "counselor", "S-C1")
    with pytest.raises(AccessDenied):
        lift_snooze(seeded.engine, ctx, client_id="C-0014")

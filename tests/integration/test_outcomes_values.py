"""Program outcomes on a hand-made program: every figure worked out by hand below, compared
with ``caseload outcomes --json`` and with the read layer the page uses.

The program (America/New_York; DST began Sun 2026-03-08) has twelve clients under two
counselors; the period is Mon 2026-03-02 .. Sun 2026-03-29 (28 days, four ISO weeks), scored
at 11:00 on the 29th, so the 29th is in progress: its expected check-ins not yet in are
pending and count neither way. Client-days come from the real risk engine; the tiers and
high-risk flags are then set by hand so the tier mix and follow-up figures are known.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from dashboard.outcomes_cli import CLI_SCOPE
from dashboard.read import outcomes as read_outcomes
from etl import marts
from etl.cli import main
from etl.models import AppAuditLog, AppFollowup, DimProgram, FctRiskScore
from etl.risk.score import refresh
from tests.factories import Warehouse, add_user, url_of

D = dt.date
START, END = D(2026, 3, 2), D(2026, 3, 29)
NOW = dt.datetime(2026, 3, 29, 15, 0)  # 11:00 EDT: the 29th is not over


def days(first: dt.date, last: dt.date, skip=()) -> list[dt.date]:
    out, d = [], first
    while d <= last:
        if d not in skip:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def seed(engine) -> dict[str, int]:
    w = Warehouse(engine)
    prog = w.program("P-HAND")
    other = w.program("P-OTHER")
    a = w.staff(prog, staff_id="C-A")
    b = w.staff(prog, staff_id="C-B")
    w.staff(prog, role="supervisor", staff_id="S-HAND")
    x = w.staff(other, staff_id="C-X")
    roster = {  # client: (counselor, admission, discharge, schedule)
        "c1": (a, D(2026, 1, 5), None, "daily"),
        "c2": (a, D(2026, 1, 5), None, "daily"),
        "c3": (a, D(2026, 2, 1), D(2026, 3, 15), "daily"),
        "c4": (a, D(2026, 3, 2), None, "weekdays"),
        "c5": (a, D(2025, 12, 1), D(2026, 1, 20), "daily"),
        "c6": (a, D(2026, 3, 20), None, "weekly"),
        "c7": (b, D(2025, 11, 10), None, "daily"),
        "c8": (b, D(2025, 12, 15), D(2026, 2, 10), "daily"),
        "c9": (b, D(2026, 1, 10), D(2026, 2, 5), "daily"),
        "c10": (b, D(2026, 1, 20), None, "daily"),
        "c11": (b, D(2026, 2, 20), D(2026, 3, 25), "daily"),
        "c12": (b, D(2025, 10, 1), None, "daily"),
    }
    keys = {
        c: w.client(prog, adm, counselor_key=k, discharge_date=dis, schedule=s, client_id=c)
        for c, (k, adm, dis, s) in roster.items()
    }
    keys["x1"] = w.client(other, D(2026, 1, 1), counselor_key=x, client_id="x1")
    used = {("c1", D(2026, 3, 20)), ("c3", D(2026, 3, 5)), ("c3", D(2026, 3, 6))}
    used |= {("c6", D(2026, 3, 22))}
    blank = {("c2", D(2026, 3, 3)), ("c2", D(2026, 3, 4))}
    weekdays = [d for d in days(START, D(2026, 3, 27), {D(2026, 3, 11)}) if d.weekday() < 5]
    checkin_days = {
        "c1": days(START, D(2026, 3, 28), {D(2026, 3, 10)}),
        "c2": days(START, END),
        "c3": days(START, D(2026, 3, 15)),
        "c4": weekdays,
        "c6": [D(2026, 3, 22)],
        "c7": days(START, END, {D(2026, 3, 15), D(2026, 3, 16), D(2026, 3, 17)}),
        "c10": days(START, D(2026, 3, 28)),
        "c11": days(START, D(2026, 3, 23)),
        "x1": days(START, END),
    }
    rows = []
    for c, ds in checkin_days.items():
        for d in ds:
            answer = None if (c, d) in blank else (c, d) in used
            at = dt.datetime(2026, 3, 29, 12, 0) if d == END else None
            row = dict(client_key=keys[c], local_date=d, craving=2, stress=3, mood=7, used=answer)
            if at:
                row["submitted_at"] = at
            rows.append(row)
    w.checkins(rows)
    for c, d, result, substance in [
        ("c1", D(2026, 3, 4), "negative", "cocaine"),
        ("c1", D(2026, 3, 11), "negative", "cocaine"),
        ("c1", D(2026, 3, 18), "positive", "cocaine"),
        ("c2", D(2026, 3, 4), "negative", "cocaine"),
        ("c2", D(2026, 3, 11), "dilute", "cocaine"),
        ("c3", D(2026, 3, 5), "positive", "cocaine"),
        ("c7", D(2026, 3, 4), "negative", "cocaine"),
        ("c7", D(2026, 3, 11), "negative", "opioids"),
        ("c7", D(2026, 3, 18), "refused", "opioids"),
        ("c10", D(2026, 3, 12), "invalid", "cocaine"),
        ("c11", D(2026, 3, 1), "negative", "cocaine"),  # the day before the period
        ("c12", D(2026, 3, 20), "negative", "fentanyl"),
        ("x1", D(2026, 3, 20), "positive", "cocaine"),  # another program
    ]:
        w.screen(keys[c], d, result, substance)
    refresh(engine, None, END, now=NOW)
    # Tiers and flags by hand: everyone low, then these.
    hand = {
        ("c4", D(2026, 3, 3)): ("moderate", False),
        **{("c1", d): ("high", d == D(2026, 3, 9)) for d in days(D(2026, 3, 9), D(2026, 3, 11))},
        **{
            ("c7", d): ("critical", d == D(2026, 3, 16))
            for d in days(D(2026, 3, 16), D(2026, 3, 17))
        },
        **{("c12", d): ("high", d == D(2026, 3, 23)) for d in days(D(2026, 3, 23), END)},
        ("c2", D(2026, 3, 28)): ("high", True),
        ("x1", D(2026, 3, 10)): ("high", True),
    }
    with engine.begin() as conn:
        conn.execute(update(FctRiskScore).values(tier="low", is_newly_high=False))
        for (c, d), (tier, newly) in hand.items():
            conn.execute(
                update(FctRiskScore)
                .where(FctRiskScore.client_key == keys[c], FctRiskScore.date == d)
                .values(tier=tier, is_newly_high=newly)
            )
        # The risk refresh sums its scores into the Outcomes marts; scores set by hand are
        # summed the same way.
        marts.refresh(conn, None)
    user = add_user(engine, "hand.counselor", "counselor", staff_id="C-A")
    contacts = [
        ("c1", dt.datetime(2026, 2, 27, 15, 0)),  # before the period
        ("c1", dt.datetime(2026, 3, 9, 14, 0)),  # flag Mar 9 (04:00 UTC) + 10 h
        ("c7", dt.datetime(2026, 3, 10, 15, 0)),  # before its flag
        ("c7", dt.datetime(2026, 3, 17, 16, 0)),  # flag Mar 16 + 36 h
        ("c2", dt.datetime(2026, 3, 28, 22, 0)),  # flag Mar 28 + 18 h
        ("c10", dt.datetime(2026, 3, 30, 3, 0)),  # 23:00 EDT on the 29th: in the period
        ("c10", dt.datetime(2026, 3, 2, 3, 0)),  # 22:00 EST on Mar 1: before it
        ("x1", dt.datetime(2026, 3, 10, 15, 0)),  # another program
    ]
    with engine.begin() as conn:
        for c, at in contacts:
            conn.execute(
                AppFollowup.__table__.insert().values(
                    client_key=keys[c], user_id=user, contacted_at=at, method="call"
                )
            )
    return keys


# Worked out by hand from the data above.
#
# Enrolled on Mar 29: c1 c2 c4 c6 c7 c10 c12. Enrolled days in the period: 28 each for c1 c2
# c4 c7 c10 c12, c3 14 (to Mar 15), c6 10 (from Mar 20), c11 24 (to Mar 25): 216 / 28 days.
# Settled expected / met check-ins: c1 27/26 (Mar 10 missed; the 29th pending), c2 28/28,
# c3 14/14, c4 20/19 (weekdays; Mar 11 missed), c6 1/1 (weekly: due Mar 26, sent Mar 22),
# c7 28/25, c10 27/27 (29th pending), c11 24/22 (Mar 24-25 missed), c12 27/0 (29th pending).
# Answered use question / abstinent days: c1 26/25, c2 26/26 (two left blank), c3 14/12,
# c4 19/19, c6 1/0, c7 25/25, c10 27/27, c11 22/22: 8 clients.
EXPECTED = {
    "program_id": "P-HAND",
    "from": "2026-03-02",
    "to": "2026-03-29",
    "census_end": 7,
    "census_avg": pytest.approx(216 / 28),
    "admissions": 2,  # c4, c6
    "discharges": 2,  # c3, c11
    "census_small": True,
    "adherence": {"expected": 196, "met": 162, "clients": 9, "small": True},
    "abstinence": {"answered_days": 160, "abstinent_days": 156, "clients": 8, "small": True},
}
SCREENS = {
    "collected": 11,
    "negative": 6,
    "positive": 2,
    "dilute": 1,
    "invalid": 1,
    "refused": 1,
    "clients": 6,
    "by_substance": {
        "cocaine": {"collected": 8, "negative": 4, "positive": 2, "dilute": 1, "invalid": 1},
        "opioids": {"collected": 2, "negative": 1, "refused": 1, "clients": 1},
        "fentanyl": {"collected": 1, "negative": 1, "clients": 1},
    },
}
# Scored client-days per week and the hand-set tiers in each.
MIX = [
    ("2026-03-02", 56, {"moderate": 1}),
    ("2026-03-09", 56, {"high": 3}),
    ("2026-03-16", 52, {"critical": 2}),
    ("2026-03-23", 52, {"high": 8}),
]
# Flags: c1 Mar 9 (+10 h), c7 Mar 16 (+36 h), c12 Mar 23 (never), c2 Mar 28 (+18 h).
FOLLOWUP = {"flags": 4, "contacted": 3, "within_24h": 2, "median_hours": 18.0}
COUNSELORS = [
    {
        "staff_id": "C-A",
        "caseload_end": 4,
        "contacts": 2,
        "flags": 2,
        "within_24h_rate": 1.0,
        "median_hours": 14.0,
    },
    {
        "staff_id": "C-B",
        "caseload_end": 3,
        "contacts": 3,
        "flags": 2,
        "within_24h_rate": 0.0,
        "median_hours": 36.0,
    },
]


def check(result: dict) -> None:
    for key, value in EXPECTED.items():
        if isinstance(value, dict):
            for k, v in value.items():
                assert result[key][k] == v, (key, k)
        else:
            assert result[key] == value, key
    assert result["adherence"]["rate"] == pytest.approx(162 / 196)
    assert result["abstinence"]["rate"] == pytest.approx(156 / 160)
    screens = result["screens"]
    for k, v in SCREENS.items():
        if k != "by_substance":
            assert screens[k] == v, k
    assert screens["negative_rate"] == pytest.approx(6 / 11)
    assert set(screens["by_substance"]) == set(SCREENS["by_substance"])
    for substance, figures in SCREENS["by_substance"].items():
        for k, v in figures.items():
            assert screens["by_substance"][substance][k] == v, (substance, k)
    assert screens["by_substance"]["cocaine"]["negative_rate"] == pytest.approx(0.5)
    assert [m["week_start"] for m in result["risk_mix"]] == [w for w, _, _ in MIX]
    for got, (_, scored, tiers) in zip(result["risk_mix"], MIX, strict=True):
        assert got["scored_days"] == scored
        assert got["low"] == pytest.approx((scored - sum(tiers.values())) / scored)
        for tier in ("moderate", "high", "critical"):
            assert got[tier] == pytest.approx(tiers.get(tier, 0) / scored), tier
    for k, v in FOLLOWUP.items():
        assert result["followup"][k] == v, k
    assert result["followup"]["within_24h_rate"] == pytest.approx(0.5)
    assert result["followup"]["never_contacted_rate"] == pytest.approx(0.25)
    assert result["followup"]["small"] is True
    assert len(result["counselors"]) == 2
    for got, want in zip(result["counselors"], COUNSELORS, strict=True):
        for k, v in want.items():
            assert got[k] == v, (want["staff_id"], k)
        assert got["small"] is True
    # No admission of the period has been in treatment 30 days by its end.
    for n in ("30", "60", "90"):
        assert result["retention"][n] == {"eligible": 0, "retained": 0, "rate": None, "small": True}


def run(engine, *args: str):
    return CliRunner().invoke(main, ["outcomes", "--database-url", url_of(engine), *args])


@pytest.fixture
def hand(engine):
    return seed(engine)


def test_read_layer_matches_hand_figures(engine, hand):
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, "P-HAND")
        check(read_outcomes.program_outcomes(conn, key, START, END))


def test_command_json_matches_hand_figures_and_is_audited(engine, hand):
    res = run(engine, "--program", "P-HAND", "--from", "2026-03-02", "--to", "2026-03-29", "--json")
    assert res.exit_code == 0, res.output
    check(json.loads(res.output))
    with engine.connect() as conn:
        row = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id.desc())).first()
        program_key = conn.execute(
            select(DimProgram.program_key).where(DimProgram.program_id == "P-HAND")
        ).scalar()
    assert (row.action, row.route, row.category) == (
        "view",
        "caseload outcomes",
        "program_outcomes",
    )
    assert row.username.startswith("cli:") and row.detail["program_key"] == program_key
    assert row.detail["from"] == "2026-03-02" and row.detail["to"] == "2026-03-29"


def test_command_table_shows_the_same_figures(engine, hand):
    res = run(engine, "--program", "P-HAND", "--from", "2026-03-02", "--to", "2026-03-29")
    assert res.exit_code == 0, res.output
    assert "82.7% (162 of 196)  (n < 11)" in res.output
    assert "97.5% (156 of 160 answered)" in res.output
    assert "54.5% (6 of 11; dilute 1, invalid 1, refused 1)" in res.output


def test_retention_cohorts_and_survival_over_a_long_period(engine, hand):
    """Dec 1 .. Mar 29: ten admissions. 30 days: admitted by Feb 27, eight, all but c9 stayed;
    60 days: by Jan 28, six (c5 c8 c9 left early); 90 days: by Dec 29, c5 and c8, both gone."""
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, "P-HAND")
        r = read_outcomes.program_outcomes(conn, key, D(2025, 12, 1), END)
    assert r["admissions"] == 10
    assert {n: (b["eligible"], b["retained"]) for n, b in r["retention"].items()} == {
        "30": (8, 7),
        "60": (6, 3),
        "90": (2, 0),
    }
    assert r["retention"]["30"]["rate"] == pytest.approx(7 / 8)
    cohorts = {c["month"]: c for c in r["cohorts"]}
    assert {m: c["admitted"] for m, c in cohorts.items()} == {
        "2025-12": 2,
        "2026-01": 4,
        "2026-02": 2,
        "2026-03": 2,
    }
    assert (cohorts["2025-12"]["60"]["eligible"], cohorts["2025-12"]["60"]["retained"]) == (2, 0)
    assert (cohorts["2026-01"]["30"]["eligible"], cohorts["2026-01"]["30"]["retained"]) == (4, 3)
    assert (cohorts["2026-01"]["60"]["eligible"], cohorts["2026-01"]["60"]["retained"]) == (4, 3)
    assert cohorts["2026-02"]["30"]["retained"] == 2 and cohorts["2026-03"]["30"]["eligible"] == 0
    # Days in treatment: discharged c9 26, c11 33, c3 42, c5 50, c8 57; still in (censored at
    # Mar 29) c6 9, c4 27, c10 68, c1 83, c2 83. At risk at each discharge: 9 (c6 left the
    # risk set at day 9), 7, 6, 5, 4. Product limit: 8/9 * 6/7 * 5/6 * 4/5 * 3/4.
    curve = dict(zip(r["survival"]["day"], r["survival"]["share"], strict=True))
    assert curve[9] == 1.0
    assert curve[26] == pytest.approx(8 / 9)
    assert curve[33] == pytest.approx(8 / 9 * 6 / 7)
    assert curve[57] == pytest.approx(8 / 9 * 6 / 7 * 5 / 6 * 4 / 5 * 3 / 4)
    assert curve[83] == pytest.approx(8 / 9 * 3 / 7)


def test_counselor_filter(engine, hand):
    res = run(
        engine,
        "--program",
        "P-HAND",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-29",
        "--counselor",
        "C-B",
        "--json",
    )
    assert res.exit_code == 0, res.output
    r = json.loads(res.output)
    assert r["counselor_id"] == "C-B" and r["census_end"] == 3
    # c7 28/25, c10 27/27, c11 24/22, c12 27/0
    assert (r["adherence"]["expected"], r["adherence"]["met"]) == (106, 74)
    assert [c["staff_id"] for c in r["counselors"]] == ["C-B"]
    assert r["followup"]["flags"] == 2


def test_suppressed_figures_leave_no_small_number(engine, hand):
    res = run(
        engine,
        "--program",
        "P-HAND",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-29",
        "--json",
        "--suppress-small",
    )
    r = json.loads(res.output)
    assert r["census_end"] is None and r["adherence"]["rate"] is None
    assert r["screens"]["collected"] is None and r["followup"]["median_hours"] is None
    assert all(c["caseload_end"] is None for c in r["counselors"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--program", "P-NOPE"], "unknown program id 'P-NOPE'"),
        (["--program", "P-HAND", "--counselor", "C-X"], "'C-X' is not a counselor of program"),
    ],
)
def test_command_refuses_unknown_ids_clearly_and_audits(engine, hand, args, message):
    res = run(engine, *args, "--from", "2026-03-02", "--to", "2026-03-29", "--json")
    assert res.exit_code == 2 and message in res.output
    with engine.connect() as conn:
        row = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id.desc())).first()
    assert (row.action, row.outcome, row.route) == ("denied", "denied", "caseload outcomes")

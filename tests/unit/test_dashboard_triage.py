"""The ranking rules and the card counts, on hand-made caseload rows."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.figures.today_grid import filter_ranked
from dashboard.triage import (
    MissedDay,
    as_of_status,
    card_counts,
    discordance_reason,
    missed_yesterday,
    plain_words,
    rank_caseload,
    reason_line,
    reasons_text,
)

AS_OF = dt.date(2026, 11, 26)
TODAY = dt.date(2026, 11, 27)


def _rows(*clients) -> list[dict]:
    base = {
        "first_name": "A",
        "last_name": "B",
        "admission_date": dt.date(2026, 1, 1),
        "reasons": [],
        "is_expected": True,
        "is_received": True,
        "missed_streak": 0,
        "score_change": 0.0,
        "is_newly_high": False,
        "last_checkin": None,
    }
    return [{**base, **c} for c in clients]


def _rank(rows, followups=(), snoozes=(), history=(), today=TODAY):
    return rank_caseload(
        rows, history, followups, snoozes, as_of=AS_OF, today=today, time_zone="America/New_York"
    )


def _column(ranked: list[dict], field: str) -> list:
    return [r[field] for r in ranked]


def test_newly_high_first_then_tier_then_score_and_change_breaks_ties() -> None:
    rows = _rows(
        {"client_key": 1, "client_id": "low", "score": 10.0, "tier": "low"},
        {"client_key": 2, "client_id": "crit", "score": 80.0, "tier": "critical"},
        {
            "client_key": 3,
            "client_id": "high-flat",
            "score": 70.0,
            "tier": "high",
            "score_change": -1.0,
        },
        {
            "client_key": 4,
            "client_id": "high-rising",
            "score": 60.0,
            "tier": "high",
            "score_change": 5.0,
        },
        {
            "client_key": 5,
            "client_id": "new",
            "score": 56.0,
            "tier": "high",
            "is_newly_high": True,
            "score_change": 20.0,
        },
        {"client_key": 6, "client_id": "unscored", "score": None, "tier": None},
    )
    ranked = _rank(rows)
    assert _column(ranked, "client_id") == [
        "new",
        "crit",
        "high-flat",  # 70 before 60: scores read in order down a tier, rising or not
        "high-rising",
        "low",
        "unscored",
    ]
    assert _column(ranked, "rank") == [1, 2, 3, 4, 5, 6]


def test_within_a_tier_scores_read_in_order_the_change_breaking_ties() -> None:
    # The order once seen on the low tier: 16 (rising), 8 (rising), 20, 20.
    rows = _rows(
        {"client_key": 1, "client_id": "a", "score": 16.0, "tier": "low", "score_change": 4.0},
        {"client_key": 2, "client_id": "b", "score": 8.0, "tier": "low", "score_change": 2.0},
        {"client_key": 3, "client_id": "c", "score": 20.0, "tier": "low", "score_change": -3.0},
        {"client_key": 4, "client_id": "d", "score": 20.0, "tier": "low", "score_change": 1.0},
    )
    ranked = _rank(rows)
    assert _column(ranked, "score") == [20.0, 20.0, 16.0, 8.0]
    assert _column(ranked, "client_id") == ["d", "c", "a", "b"]


def test_snoozed_sink_and_contacted_are_not_due() -> None:
    rows = _rows(
        {"client_key": 1, "client_id": "a", "score": 90.0, "tier": "critical"},
        {"client_key": 2, "client_id": "b", "score": 80.0, "tier": "high"},
        {"client_key": 3, "client_id": "c", "score": 20.0, "tier": "low"},
    )
    followups = [
        {
            "client_key": 2,
            "followup_id": 1,
            "contacted_at": dt.datetime(2026, 11, 27, 14, 0),
            "method": "in_person",
            "outcome": "left_message",
            "risk_date": AS_OF,
            "username": "ana",
        }
    ]
    snoozes = [
        {
            "client_key": 1,
            "until_date": dt.date(2026, 11, 29),
            "reason": "in hospital",
            "snooze_id": 1,
            "snoozed_by": "Ana Ruiz",
        }
    ]
    ranked = _rank(rows, followups, snoozes)
    assert _column(ranked, "client_id") == ["b", "c", "a"]
    by_id = {r["client_id"]: r for r in ranked}
    assert by_id["b"]["followup_text"] == "Contacted 9:00 AM · in person · left message"
    assert by_id["a"]["followup_text"] == "Snoozed until Nov 29 by Ana Ruiz"
    missed = MissedDay(AS_OF, 0, "")
    assert card_counts(ranked, missed) == {
        "high": 2,
        "newly_high": 0,
        "missed": 0,
        "due": 0,
        "discordant": 0,
    }


def test_due_counts_and_sparkline_alignment() -> None:
    rows = _rows(
        {
            "client_key": 1,
            "client_id": "a",
            "score": 60.0,
            "tier": "high",
            "is_received": False,
            "missed_streak": 3,
        },
        {"client_key": 2, "client_id": "b", "score": 10.0, "tier": "low"},
    )
    history = [
        {"client_key": 1, "date": AS_OF, "score": 60.0},
        {"client_key": 1, "date": AS_OF - dt.timedelta(days=13), "score": 12.0},
    ]
    ranked = _rank(rows, history=history)
    spark = next(r["spark"] for r in ranked if r["client_id"] == "a")
    assert len(spark) == 14 and spark[0] == 12.0 and spark[-1] == 60.0
    assert spark[1:-1] == [None] * 12
    missed = MissedDay(AS_OF, None, "not over")
    assert card_counts(ranked, missed) == {
        "high": 1,
        "newly_high": 0,
        "missed": None,
        "due": 1,
        "discordant": 0,
    }


def test_a_screen_against_the_answers_is_counted_and_filtered_apart() -> None:
    said_no = {
        "code": "discordance",
        "signal": "discordance",
        "text": "reported no use since Nov 20; the screen on Nov 23 was positive for cocaine",
    }
    rows = _rows(
        {
            "client_key": 1,
            "client_id": "a",
            "score": 30.0,
            "tier": "moderate",
            "reasons": [said_no],
        },
        {"client_key": 2, "client_id": "b", "score": 70.0, "tier": "high"},
        {"client_key": 3, "client_id": "c", "score": 10.0, "tier": "low", "reasons": "[]"},
    )
    ranked = _rank(rows)
    assert {r["client_id"]: r["is_discordant"] for r in ranked} == {
        "b": False,
        "a": True,
        "c": False,
    }
    assert card_counts(ranked, MissedDay(AS_OF, 0, ""))["discordant"] == 1
    assert _column(filter_ranked(ranked, "discordant", "", set()), "client_id") == ["a"]
    assert discordance_reason(rows[0]["reasons"]) == said_no
    assert discordance_reason(rows[1]["reasons"]) is None


def _facts(*missed: bool) -> list[bool]:
    """Yesterday's client-days of a caseload, as ``is_missed`` each."""
    return list(missed)


def test_missed_yesterday_counts_only_a_settled_day() -> None:
    morning = dt.datetime(2026, 11, 27, 9, 15)  # program time
    # Today scored this morning: yesterday was settled by that refresh.
    got = missed_yesterday(_facts(True, False, True), today=TODAY, as_of=TODAY, scored_at=morning)
    assert (got.count, got.note) == (2, "expected Thu Nov 26, not received")
    # Latest scores are yesterday's, made yesterday evening: the day was still in progress.
    evening = dt.datetime(2026, 11, 26, 20, 0)
    got = missed_yesterday(_facts(False, False), today=TODAY, as_of=AS_OF, scored_at=evening)
    assert got.count is None and got.note == "Thu Nov 26 was not over at the last load"
    # Yesterday's scores made after midnight: settled.
    got = missed_yesterday(_facts(True), today=TODAY, as_of=AS_OF, scored_at=morning)
    assert got.count == 1
    # Stale data: nothing for yesterday at all.
    got = missed_yesterday(
        _facts(), today=TODAY, as_of=AS_OF - dt.timedelta(days=3), scored_at=morning
    )
    assert got.count is None and got.note == "no check-in data for Thu Nov 26"


def test_as_of_status_says_which_day_and_whether_it_was_over() -> None:
    morning = dt.datetime(2026, 11, 27, 9, 5)
    text, stale = as_of_status(TODAY, TODAY, morning, 12)
    assert not stale
    assert text == (
        "Scores for today, Friday Nov 27 · scored 9:05 AM from the 12 check-ins in so far "
        "today; expected check-ins not in yet are pending, not missed"
    )
    text, _ = as_of_status(TODAY, TODAY, dt.datetime(2026, 11, 28, 0, 30), 40)
    assert text == "Scores for today, Friday Nov 27"
    text, stale = as_of_status(AS_OF, TODAY, dt.datetime(2026, 11, 26, 21, 40), 0)
    assert not stale and text == (
        "Latest scores: yesterday, Thursday Nov 26 · no check-ins for today loaded yet"
        " · scored 9:40 PM, before the day was over"
    )
    text, stale = as_of_status(dt.date(2026, 11, 20), TODAY, morning, 0)
    assert stale and text.startswith("Latest scores: Friday Nov 20, 2026 · data is 7 days old")


@pytest.mark.parametrize(
    "reasons, text",
    [
        (
            [
                {
                    "signal": "poor sleep",
                    "text": "slept under 6 h on 4 of the last 7 nights",
                    "points": 12,
                }
            ],
            "Poor sleep: slept under 6 h on 4 of the last 7 nights",
        ),
        (
            '[{"signal": "stress", "text": "2.1 SD above own baseline"},'
            ' {"text": "used on Nov 24"}]',
            "Stress: much higher than usual for them\nUsed on Nov 24",
        ),
        (
            [
                {"signal": "a", "text": "1"},
                {"signal": "b", "text": "2"},
                {"signal": "c", "text": "3"},
            ],
            "A: 1\nB: 2",
        ),
        # The engine's texts that already name their signal are not prefixed twice.
        (
            [
                {"code": "craving", "signal": "craving", "text": "craving 9/10 yesterday"},
                {"code": "mood", "signal": "low mood", "text": "mood 2.4 SD below own baseline"},
            ],
            "Craving 9/10 yesterday\nMood much lower than usual for them",
        ),
        (
            [{"code": "use", "signal": "recent use", "text": "reported use on Nov 24"}],
            "Recent use: reported use on Nov 24",
        ),
        # "Discordance" is not said to a client: the engine's sentence stands alone.
        (
            [
                {
                    "code": "discordance",
                    "signal": "discordance",
                    "text": "reported no use since Nov 20; the screen on Nov 23 was positive",
                }
            ],
            "Reported no use since Nov 20; the screen on Nov 23 was positive",
        ),
        (None, ""),
        ([], ""),
    ],
)
def test_reasons_in_words(reasons, text) -> None:
    assert reasons_text(reasons) == text


def test_last_check_in_is_counted_from_today_and_the_sparkline_knows_high() -> None:
    from dashboard.figures.today_grid import grid_rows

    rows = _rows(
        {
            "client_key": 1,
            "client_id": "a",
            "score": 50.0,
            "tier": "high",
            "last_checkin": dt.date(2026, 11, 24),
        }
    )
    ranked = _rank(rows)
    row = grid_rows(ranked, TODAY, high_from=45.0)[0]
    assert row["last_checkin_text"] == "Nov 24 · 3 d ago"  # from Nov 27, not the scored Nov 26
    assert row["last_checkin"] == "2026-11-24"  # the value the column sorts by: a date
    assert row["spark_high"] == 45.0


@pytest.mark.parametrize(
    ("engine_text", "said"),
    [
        (
            "stress 8/10 yesterday; 2.1 SD above own baseline (usual 5.0) on 3 of the last 3 days",
            "stress 8/10 yesterday; much higher than usual for them (usually about 5) "
            "on 3 of the last 3 days",
        ),
        ("1.6 SD below own baseline (usual 6.5)", "lower than usual for them (usually about 6.5)"),
        ("1.2 SD above own baseline", "a little higher than usual for them"),
        (
            "slept 2.0 SD less than own usual (7.0 h) on 2 of the last 3 nights",
            "slept much less than usual for them (usually about 7 h) on 2 of the last 3 nights",
        ),
        ("slept under 6 h on 4 of the last 7 nights", "slept under 6 h on 4 of the last 7 nights"),
    ],
)
def test_reasons_in_plain_words(engine_text, said) -> None:
    assert plain_words(engine_text) == said
    assert "SD" not in reason_line({"signal": "stress", "text": engine_text})


def test_every_column_sorts_by_a_value_not_its_label() -> None:
    from dashboard.figures.today_grid import COLUMN_DEFS, grid_rows

    rows = _rows(
        {"client_key": 1, "client_id": "a", "score": 80.0, "tier": "critical"},
        {"client_key": 2, "client_id": "b", "score": 30.0, "tier": "moderate"},
        {"client_key": 3, "client_id": "c", "score": 50.0, "tier": "high"},
    )
    days = (dt.date(2026, 12, 1), dt.date(2026, 11, 13), dt.date(2026, 11, 9))
    for row, day in zip(rows, days, strict=True):
        row["last_checkin"] = day
    ranked = _rank(rows, today=dt.date(2026, 12, 2))
    grid = grid_rows(ranked, dt.date(2026, 12, 2))
    fields = {c["field"] for c in COLUMN_DEFS if c.get("sortable", True)}
    for field in fields - {"name"}:
        assert all(isinstance(r[field], int | float | None) or _iso(r[field]) for r in grid), field
    # Sorting by last check-in puts Nov 9 < Nov 13 < Dec 1 (as text "Dec 1" < "Nov 13").
    by_date = sorted(grid, key=lambda r: r["last_checkin"])
    assert [r["client_id"] for r in by_date] == ["c", "b", "a"]
    by_tier = sorted(grid, key=lambda r: -r["tier_rank"])
    assert [r["tier"] for r in by_tier] == ["Critical", "High", "Moderate"]
    follow = {r["client_id"]: r["followup_order"] for r in grid}
    assert follow["a"] < follow["b"]  # due before nothing due


def _iso(value) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True

"""Shared page pieces: date cells sort as dates, tiers by rank, the contact dialog's flag line,
and the Missed page's states (pending is never missed)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import missed as m
from dashboard.components.contact import flag_text
from dashboard.components.grid import date_cells, fitted_height, percent, tier_cells

TODAY = dt.date(2026, 12, 1)


def test_date_cells_sort_as_dates_and_read_as_words() -> None:
    days = [dt.date(2026, 12, 1), dt.date(2026, 11, 13), dt.date(2026, 11, 30)]
    cells = [date_cells("last", d, TODAY) for d in days]
    assert sorted(c["last"] for c in cells) == ["2026-11-13", "2026-11-30", "2026-12-01"]
    assert [c["last_text"] for c in cells] == [
        "Dec 1 · today",
        "Nov 13 · 18 d ago",
        "Nov 30 · yesterday",
    ]
    assert date_cells("last", None, TODAY) == {"last": None, "last_text": "never"}


def test_tiers_sort_by_rank_and_percent_rounds() -> None:
    ranks = [tier_cells(t)["tier_rank"] for t in ("low", "critical", None, "high")]
    assert ranks == [0, 3, -1, 2]
    assert tier_cells("high")["tier"] == "High"
    assert (percent(0.875), percent(None), percent(float("nan"))) == (88, None, None)
    assert fitted_height(4, 40)["height"] == "min(212px, calc(100vh - 330px))"


def test_flag_text_names_day_tier_and_top_reason() -> None:
    flag = {
        "date": dt.date(2026, 11, 27),
        "tier": "high",
        "score": 52.4,
        "reasons": [{"code": "sleep", "signal": "poor sleep", "text": "slept under 6 h"}],
    }
    assert (
        flag_text(flag) == "Answers the flag of Fri Nov 27: High (52), poor sleep: slept under 6 h."
    )
    assert flag_text(None).startswith("No risk flag on file yet")


def test_pending_today_is_neither_met_nor_missed() -> None:
    days = pd.DataFrame(
        {
            "client_key": [1, 1, 2, 2],
            "date": [TODAY - dt.timedelta(days=1), TODAY] * 2,
            "is_expected": [True, True, True, False],
            "is_received": [False, False, True, False],
            "is_missed": [True, False, False, False],
            "days_since_checkin": [3, 4, 0, 1],
        }
    )
    states = m.with_states(days, {1: "daily", 2: "daily"})
    assert states["state"].tolist() == [m.MISSED, m.PENDING, m.RECEIVED, m.NOT_EXPECTED]
    assert m.adherence(states, TODAY, 7) == 0.5  # 1 met of 2 settled; today's pending left out


def test_a_weekly_checkin_earlier_in_the_week_meets_the_due_day() -> None:
    days = pd.DataFrame(
        {
            "client_key": [5],
            "date": [TODAY],
            "is_expected": [True],
            "is_received": [False],
            "is_missed": [False],
            "days_since_checkin": [3],
        }
    )
    states = m.with_states(days, {5: "weekly"})
    assert bool(states["met"].iloc[0]) and states["state"].iloc[0] == m.NOT_EXPECTED
    assert m.adherence(states, TODAY, 7) == 1.0


def test_a_load_says_how_long_it_took_in_words() -> None:
    from dashboard.read.loads import _took

    start = dt.datetime(2026, 11, 27, 2, 0, 0)
    assert _took(start, None) == ""
    assert _took(start, start + dt.timedelta(seconds=4.4)) == "4 s"
    assert _took(start, start + dt.timedelta(seconds=200)) == "3 min 20 s"
    assert _took(start, start + dt.timedelta(minutes=135)) == "2 h 15 min"

"""Missed check-ins as pure functions: each client-day's state, caseload adherence over a
window and its change, the 28-day heat map, the weekly trend and the ranked table.

The states follow the risk engine (``etl/risk/client_day.py``): a check-in is *met* when it
came that day (or, on a weekly schedule, within the week), *missed* once an expected day is
over without it, and *pending* while today is still in progress -- pending is never missed
and counts for neither side of adherence, exactly as on Today.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.triage import as_date, flags, floats

RECEIVED, MISSED, PENDING, NOT_EXPECTED = "received", "missed", "pending", "not expected"
STATE_CODES = {NOT_EXPECTED: 0, RECEIVED: 1, PENDING: 2, MISSED: 3}  # heat-map z values
HEAT_DAYS = 28
TREND_WEEKS = 12
STREAKS = (2, 3, 7)


def with_states(days: pd.DataFrame, schedules: dict[int, str]) -> pd.DataFrame:
    """``days`` (``read.caseload.days(kind="checkins")``) plus ``state`` (as the client page's
    calendar shows it: a check-in came, missed, pending, else not expected) and the engine's
    ``met`` and ``missed`` for adherence (a weekly check-in sent earlier in its week meets the
    due day)."""
    out = days.copy()
    if out.empty:
        return out.assign(state=pd.Series(dtype=object), met=False, missed=False)
    weekly_keys = [k for k, schedule in schedules.items() if schedule == "weekly"]
    weekly = out["client_key"].astype(int).isin(weekly_keys).to_numpy(bool)
    expected = flags(out["is_expected"])
    received = flags(out["is_received"])
    missed = flags(out["is_missed"])
    since = floats(out["days_since_checkin"])
    met = expected & ~missed & (since <= np.where(weekly, 6, 0))
    pending = expected & ~missed & ~met
    out["state"] = np.where(
        missed,
        MISSED,
        np.where(pending, PENDING, np.where(received, RECEIVED, NOT_EXPECTED)),
    )
    out["met"], out["missed"] = met, missed
    return out


def adherence(states: pd.DataFrame, last: dt.date, window: int) -> float | None:
    """Met over met + missed on the days ``last - window + 1 .. last`` (None: nothing due).
    Pending days count for neither side. ``states`` has ``date``, ``met`` and ``missed``: the
    client-days of ``with_states``, or per-day sums of them."""
    first = last - dt.timedelta(days=window - 1)
    inside = states[(states["date"] >= first) & (states["date"] <= last)]
    met, missed = int(inside["met"].sum()), int(inside["missed"].sum())
    return None if met + missed == 0 else met / (met + missed)


def adherence_cards(states: pd.DataFrame, as_of: dt.date) -> dict[int, tuple]:
    """Per window (7, 28): (adherence now, change since the window before), as fractions;
    ``states`` as for ``adherence``, covering 56 days."""
    cards = {}
    for window in (7, 28):
        now = adherence(states, as_of, window)
        before = adherence(states, as_of - dt.timedelta(days=window), window)
        change = None if now is None or before is None else now - before
        cards[window] = (now, change)
    return cards


def streak_counts(clients: pd.DataFrame) -> dict[int, int]:
    streak = pd.to_numeric(clients.get("missed_streak"), errors="coerce").fillna(0)
    return {n: int((streak >= n).sum()) for n in STREAKS}


def heat_map(states: pd.DataFrame, order: list[int], as_of: dt.date) -> tuple[list, list]:
    """The last ``HEAT_DAYS`` days x clients (in ``order``): (dates, rows of state names);
    a day with no row (before admission) is not expected."""
    dates = [as_of - dt.timedelta(days=HEAT_DAYS - 1 - i) for i in range(HEAT_DAYS)]
    shown = states[states["date"] >= dates[0]] if not states.empty else states
    lookup = {
        (k, d): s
        for k, d, s in zip(
            shown["client_key"].astype(int).tolist(),
            shown["date"].tolist(),
            shown["state"].tolist(),
            strict=True,
        )
    }
    rows = [[lookup.get((k, d), NOT_EXPECTED) for d in dates] for k in order]
    return dates, rows


def rank_missed(clients: pd.DataFrame, states: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Worst first: longest missed streak, then most misses in 28 days, then lowest 28-day
    adherence (the engine's, per client), then name."""
    if clients.empty:
        return clients.assign(missed_28d=pd.Series(dtype="int64"))
    first = as_of - dt.timedelta(days=HEAT_DAYS - 1)
    recent = states[(states["date"] >= first) & states["missed"]]
    counts = recent.groupby("client_key").size()
    df = clients.copy()
    df["missed_streak"] = pd.to_numeric(df["missed_streak"], errors="coerce").fillna(0).astype(int)
    df["missed_28d"] = df["client_key"].map(counts).fillna(0).astype(int)
    df["name"] = df["first_name"].astype(str) + " " + df["last_name"].astype(str)
    df["adh28"] = pd.to_numeric(df["adherence_28d"], errors="coerce")
    return df.sort_values(
        ["missed_streak", "missed_28d", "adh28", "name"],
        ascending=[False, False, True, True],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)


def weekly_trend(daily: pd.DataFrame, as_of: dt.date, weeks: int = TREND_WEEKS) -> pd.DataFrame:
    """Adherence per 7-day week ending on ``as_of`` (week 0 is the latest): from per-day
    ``met`` and ``missed`` counts (optionally per ``group``). Columns: week_end, group, value.
    Summed in plain Python: a few dozen day rows, on every load of the page."""
    if daily.empty:
        return pd.DataFrame(columns=["week_end", "group", "adherence"])
    groups = daily["group"].tolist() if "group" in daily else ["caseload"] * len(daily)
    sums: dict[tuple, list[int]] = {}
    for group, day, met, missed in zip(
        groups, daily["date"].tolist(), daily["met"].tolist(), daily["missed"].tolist(), strict=True
    ):
        week = (as_of - as_date(day)).days // 7
        if 0 <= week < weeks:
            total = sums.setdefault((group, week), [0, 0])
            total[0] += int(met)
            total[1] += int(missed)
    rows = [
        (as_of - dt.timedelta(days=7 * week), group, met / (met + missed) if met + missed else None)
        for (group, week), (met, missed) in sums.items()
    ]
    out = pd.DataFrame(rows, columns=["week_end", "group", "adherence"])
    return out.sort_values(["group", "week_end"], kind="stable").reset_index(drop=True)

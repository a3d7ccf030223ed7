"""Sleep & stress as pure functions: who has a sleep deficit or a stress spike, in the risk
engine's words, and the per-client numbers behind the caseload pictures.

Who is flagged, and how strongly, is the engine's verdict: the ``sleep`` and ``stress``
reasons stored with the latest score (made under the program's configured thresholds). The
numbers beside them are recounted from the client-days with the same settings
(``RiskSettings``), never with thresholds written here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.risk_settings import RiskSettings
from dashboard.triage import reason_line, reasons_list

WINDOW = 7  # the sleep rule counts nights over the last 7


def _reason(value, code: str) -> dict | None:
    return next((r for r in reasons_list(value) if r.get("code") == code), None)


def per_client(
    clients: pd.DataFrame, days: pd.DataFrame, settings: RiskSettings, as_of: dt.date
) -> pd.DataFrame:
    """One row per client: the engine's sleep and stress reasons (text, points) and the last
    7 days' numbers: short and poor nights, mean hours, latest stress and its SD from the
    client's own baseline (with the rule's SD floor). Vectorised: a 150-client caseload costs
    a few group-bys, not 150 loops."""
    first = as_of - dt.timedelta(days=WINDOW - 1)
    sleep = settings.sleep
    floor = settings.sd_floors.get("stress", 1.0)
    recent = days[(days["date"] >= first) & (days["date"] <= as_of)] if not days.empty else days
    out = clients[["client_key", "client_id", "score"]].copy()
    out["client_key"] = out["client_key"].astype(int)
    out["name"] = clients["first_name"].astype(str) + " " + clients["last_name"].astype(str)
    out["tier"] = clients["tier"].where(clients["tier"].notna(), None)
    numbers = pd.DataFrame(index=out["client_key"])
    if not recent.empty:
        r = recent.assign(client_key=recent["client_key"].astype(int))
        for col in ("sleep_hours", "sleep_quality", "stress", "stress_baseline", "stress_sd"):
            r[col] = pd.to_numeric(r[col], errors="coerce")
        g = r.groupby("client_key")
        numbers["short_nights"] = (
            (r["sleep_hours"] < sleep["short_hours"]).groupby(r["client_key"]).sum()
        )
        numbers["poor_nights"] = (
            (r["sleep_quality"] <= sleep["poor_quality"]).groupby(r["client_key"]).sum()
        )
        numbers["mean_sleep"] = g["sleep_hours"].mean()
        numbers["mean_stress"] = g["stress"].mean()
        answered = r[r["stress"].notna()].sort_values("date").groupby("client_key").last()
        sd = answered["stress_sd"].fillna(0.0).clip(lower=floor)
        numbers["stress"] = answered["stress"]
        numbers["stress_z"] = (answered["stress"] - answered["stress_baseline"]) / sd
    out = out.join(numbers, on="client_key")
    for col in ("short_nights", "poor_nights"):
        out[col] = out.get(col, pd.Series(0, index=out.index)).fillna(0).astype(int)
    for col in ("mean_sleep", "mean_stress", "stress", "stress_z"):
        if col not in out:
            out[col] = np.nan
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    texts = {"sleep": [], "stress": []}
    points = {"sleep": [], "stress": []}
    for value in clients["reasons"].tolist():
        for code in ("sleep", "stress"):
            reason = _reason(value, code)
            texts[code].append(reason_line(reason) if reason else "")
            points[code].append(float(reason["points"]) if reason else 0.0)
    for code in ("sleep", "stress"):
        out[f"{code}_text"] = texts[code]
        out[f"{code}_points"] = points[code]
    return out.reset_index(drop=True)


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Clients the engine flags for sleep or stress, most points first (sleep and stress
    together), then the higher stress SD, then name."""
    if table.empty:
        return table
    flagged = table[(table["sleep_points"] > 0) | (table["stress_points"] > 0)].copy()
    flagged["points"] = flagged["sleep_points"] + flagged["stress_points"]
    flagged["z_sort"] = flagged["stress_z"].fillna(-np.inf)
    return flagged.sort_values(
        ["points", "z_sort", "name"], ascending=[False, False, True], kind="mergesort"
    ).reset_index(drop=True)


def weekly_means(sums: pd.DataFrame, as_of: dt.date, weeks: int = 12) -> pd.DataFrame:
    """Mean sleep hours and stress of the answers per 7-day week ending on ``as_of``, from
    per-day sums and counts (``read.caseload.signals_by_day``); a week without answers to a
    question has no mean for it."""
    if sums.empty:
        return pd.DataFrame(columns=["week_end", "sleep_hours", "stress"])
    week = (pd.Timestamp(as_of) - pd.to_datetime(sums["date"])).dt.days.to_numpy() // 7
    inside = week < weeks
    cols = ["sleep_hours_sum", "sleep_answers", "stress_sum", "stress_answers"]
    agg = sums.loc[inside, cols].astype(float).groupby(week[inside]).sum()
    out = pd.DataFrame(
        {
            "week_end": [as_of - dt.timedelta(days=7 * int(w)) for w in agg.index],
            "sleep_hours": agg["sleep_hours_sum"] / agg["sleep_answers"].where(lambda n: n > 0),
            "stress": agg["stress_sum"] / agg["stress_answers"].where(lambda n: n > 0),
        }
    )
    return out.sort_values("week_end").reset_index(drop=True)

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

from dashboard.read.frames import frame_rows
from dashboard.risk_settings import RiskSettings
from dashboard.triage import as_date, number, reason_line, reasons_list

WINDOW = 7  # the sleep rule counts nights over the last 7


def _reason(value, code: str) -> dict | None:
    return next((r for r in reasons_list(value) if r.get("code") == code), None)


TABLE = [
    "client_key",
    "client_id",
    "score",
    "name",
    "tier",
    "short_nights",
    "poor_nights",
    "mean_sleep",
    "mean_stress",
    "stress",
    "stress_z",
    "sleep_text",
    "sleep_points",
    "stress_text",
    "stress_points",
]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def per_client(
    clients: pd.DataFrame, days: pd.DataFrame, settings: RiskSettings, as_of: dt.date
) -> pd.DataFrame:
    """One row per client: the engine's sleep and stress reasons (text, points) and the last
    7 days' numbers: short and poor nights, mean hours, latest stress and its SD from the
    client's own baseline (with the rule's SD floor). Plain Python over a week of one
    caseload's client-days (~1,000 rows): a pass over them costs less than pandas' group-bys."""
    first = as_of - dt.timedelta(days=WINDOW - 1)
    sleep = settings.sleep
    floor = settings.sd_floors.get("stress", 1.0)
    week: dict[int, list[dict]] = {}
    if not days.empty:
        every = frame_rows(days, list(days.columns))
        dated = [(day, d) for d in every if first <= (day := as_date(d["date"])) <= as_of]
        dated.sort(key=lambda pair: pair[0])
        for _, d in dated:
            week.setdefault(int(d["client_key"]), []).append(d)
    rows = []
    fields = ["client_key", "client_id", "score", "first_name", "last_name", "tier", "reasons"]
    for c in frame_rows(clients, fields):
        key = int(c["client_key"])
        mine = week.get(key, [])
        hours = [h for d in mine if (h := number(d["sleep_hours"])) is not None]
        quality = [q for d in mine if (q := number(d["sleep_quality"])) is not None]
        stress = [(d, v) for d in mine if (v := number(d["stress"])) is not None]
        latest, z = None, None
        if stress:
            latest = stress[-1][1]
            # The latest answer's own baseline and SD, or the last one known before it.
            baseline = next(
                (b for d, _ in reversed(stress) if (b := number(d["stress_baseline"])) is not None),
                None,
            )
            sd = next(
                (v for d, _ in reversed(stress) if (v := number(d["stress_sd"])) is not None), 0.0
            )
            z = None if baseline is None else (latest - baseline) / max(sd, floor)
        sleep_reason, stress_reason = (_reason(c["reasons"], code) for code in ("sleep", "stress"))
        rows.append(
            {
                "client_key": key,
                "client_id": c["client_id"],
                "score": number(c["score"]),
                "name": f"{c['first_name']} {c['last_name']}",
                "tier": c["tier"] if isinstance(c["tier"], str) else None,
                "short_nights": sum(1 for h in hours if h < sleep["short_hours"]),
                "poor_nights": sum(1 for q in quality if q <= sleep["poor_quality"]),
                "mean_sleep": _mean(hours),
                "mean_stress": _mean([v for _, v in stress]),
                "stress": latest,
                "stress_z": z,
                "sleep_text": reason_line(sleep_reason) if sleep_reason else "",
                "sleep_points": float(sleep_reason["points"]) if sleep_reason else 0.0,
                "stress_text": reason_line(stress_reason) if stress_reason else "",
                "stress_points": float(stress_reason["points"]) if stress_reason else 0.0,
            }
        )
    return pd.DataFrame(
        {col: pd.Series([r[col] for r in rows], dtype=object) for col in TABLE}
    ).astype({"short_nights": int, "sleep_points": float, "stress_points": float})


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Clients the engine flags for sleep or stress, most points first (sleep and stress
    together), then the higher stress SD, then name."""
    if table.empty:
        return table
    flagged = table[(table["sleep_points"] > 0) | (table["stress_points"] > 0)].copy()
    flagged["points"] = flagged["sleep_points"] + flagged["stress_points"]
    flagged["z_sort"] = pd.to_numeric(flagged["stress_z"]).fillna(-np.inf)
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

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
    client's own baseline (with the rule's SD floor)."""
    first = as_of - dt.timedelta(days=WINDOW - 1)
    recent = days[(days["date"] >= first) & (days["date"] <= as_of)] if not days.empty else days
    sleep = settings.sleep
    floor = settings.sd_floors.get("stress", 1.0)
    out = []
    by_client = {int(k): g for k, g in recent.groupby("client_key")} if not recent.empty else {}
    for row in clients.to_dict("records"):
        key = int(row["client_key"])
        g = by_client.get(key)
        hours = pd.to_numeric(g["sleep_hours"], errors="coerce") if g is not None else pd.Series()
        quality = (
            pd.to_numeric(g["sleep_quality"], errors="coerce") if g is not None else pd.Series()
        )
        answered = g[g["stress"].notna()].sort_values("date") if g is not None else None
        latest = answered.iloc[-1] if answered is not None and not answered.empty else None
        z = None
        if latest is not None and pd.notna(latest["stress_baseline"]):
            sd = max(float(latest["stress_sd"]) if pd.notna(latest["stress_sd"]) else 0.0, floor)
            z = (float(latest["stress"]) - float(latest["stress_baseline"])) / sd
        s_reason, t_reason = _reason(row["reasons"], "sleep"), _reason(row["reasons"], "stress")
        out.append(
            {
                "client_key": key,
                "client_id": row["client_id"],
                "name": f"{row['first_name']} {row['last_name']}",
                "tier": row["tier"] if isinstance(row["tier"], str) else None,
                "score": row["score"],
                "short_nights": int((hours < sleep["short_hours"]).sum()),
                "poor_nights": int((quality <= sleep["poor_quality"]).sum()),
                "nights": int(hours.notna().sum()),
                "mean_sleep": float(hours.mean()) if hours.notna().any() else None,
                "stress": float(latest["stress"]) if latest is not None else None,
                "stress_z": z,
                "mean_stress": float(answered["stress"].mean())
                if answered is not None and not answered.empty
                else None,
                "sleep_text": reason_line(s_reason) if s_reason else "",
                "sleep_points": float(s_reason["points"]) if s_reason else 0.0,
                "stress_text": reason_line(t_reason) if t_reason else "",
                "stress_points": float(t_reason["points"]) if t_reason else 0.0,
            }
        )
    return pd.DataFrame(out)


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


def weekly_means(days: pd.DataFrame, as_of: dt.date, weeks: int = 12) -> pd.DataFrame:
    """Mean sleep hours and stress of the answers per 7-day week ending on ``as_of``."""
    if days.empty:
        return pd.DataFrame(columns=["week_end", "sleep_hours", "stress"])
    df = days.copy()
    df["week"] = df["date"].map(lambda d: (as_of - d).days // 7)
    df = df[df["week"] < weeks]
    for col in ("sleep_hours", "stress"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    if "answers" in df:  # per-day means with their counts (a program's aggregate)
        for col in ("sleep_hours", "stress"):
            df[col] = df[col] * df["answers"]
        agg = df.groupby("week", as_index=False)[["sleep_hours", "stress", "answers"]].sum()
        for col in ("sleep_hours", "stress"):
            agg[col] = agg[col] / agg["answers"].where(agg["answers"] > 0)
    else:
        agg = df.groupby("week", as_index=False)[["sleep_hours", "stress"]].mean()
    agg["week_end"] = agg["week"].map(lambda w: as_of - dt.timedelta(days=7 * int(w)))
    return agg.sort_values("week_end")[["week_end", "sleep_hours", "stress"]]

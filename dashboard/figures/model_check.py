"""The model-check section's texts and charts, from ``dashboard.read.model_check`` output."""

from __future__ import annotations

from typing import Any

from dashboard.components.messages import plural
from dashboard.figures.layout import FigureSpec, figure
from dashboard.figures.palette import TIER_COLORS, TIER_LABELS
from etl.vocabulary import TIERS

BASELINE_NAMES = {
    "craving_today": "Today's craving",
    "days_since_checkin": "Days since last check-in",
    "recent_use": "Recent use",
}
GROUP_NAMES = {"sex": "Sex", "age_band": "Age band"}
SETTINGS_FILE = "config/risk/{program_id}.toml"


def _num(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def ranking_rows(check: dict) -> list[dict[str, str]]:
    """The score and the baselines side by side: AUROC (with the interval), PR-AUC, prec@k."""
    ci = check.get("ci") or {}
    auroc_ci = ci.get("auroc") or [None, None]
    pr_ci = ci.get("pr_auc") or [None, None]
    rows = [
        {
            "ranking": "Risk score",
            "auroc": f"{_num(check['auroc'])} ({_num(auroc_ci[0])}–{_num(auroc_ci[1])})",
            "pr_auc": f"{_num(check['pr_auc'])} ({_num(pr_ci[0])}–{_num(pr_ci[1])})",
            "precision": _pct(check["precision_at_k"]),
        }
    ]
    for name, b in check["baselines"].items():
        rows.append(
            {
                "ranking": BASELINE_NAMES.get(name, name),
                "auroc": _num(b["auroc"]),
                "pr_auc": _num(b["pr_auc"]),
                "precision": _pct(b["precision_at_k"]),
            }
        )
    return rows


def group_rows(check: dict) -> list[dict[str, Any]]:
    rows = []
    for group, values in check["groups"].items():
        for value, g in values.items():
            rows.append(
                {
                    "group": f"{GROUP_NAMES.get(group, group)}: {value}",
                    "n": f"{g['n']:,}",
                    "auroc": _num(g["auroc"]),
                    "warning": g["warning"],
                }
            )
    return rows


def calibration_figure(check: dict) -> FigureSpec:
    tiers = [t for t in TIERS if check["tiers"][t]["n"]]
    data = [
        {
            "type": "bar",
            "x": [TIER_LABELS[t] for t in tiers],
            "y": [check["tiers"][t]["lapse_rate"] for t in tiers],
            "marker": {"color": [TIER_COLORS[t] for t in tiers]},
            "text": [f"{check['tiers'][t]['n']:,} days" for t in tiers],
            "hovertemplate": "%{x}: %{y:.1%} lapsed within 7 days (%{text})<extra></extra>",
        }
    ]
    return figure(
        data,
        240,
        yaxis={"tickformat": ".0%", "title": {"text": "lapse within 7 days"}},
        hovermode="closest",
        showlegend=False,
    )


def budget_text(check: dict, k: int, program_id: str) -> dict[str, str]:
    """What budget ``k`` would have given over the last 90 days, and the current rules."""
    budget = check["budget"]
    row = next((b for b in budget["budgets"] if b["k"] == k), None)
    current = budget["current"]
    if row is None or not budget["lapses"]:
        chosen = "No lapses with a known outcome in the last 90 days: nothing to compare."
    else:
        chosen = (
            f"With {plural(k, 'client')} per counselor each morning: "
            f"{_pct(row['caught'])} of the lapses that followed were among the flagged clients, "
            f"{_num(row['flags_per_day'], 1)} flags per counselor per day, "
            f"{_pct(row['precision'])} of flags followed by a lapse."
        )
    now = (
        f"Current thresholds (high and critical): {_pct(current['caught'])} of lapses caught, "
        f"{_num(current['flags_per_day'], 1)} flags per counselor per day."
    )
    where = (
        "Nothing here changes a threshold: the tiers are set in "
        f"{SETTINGS_FILE.format(program_id=program_id)} (see docs/risk-rules.md)."
    )
    return {
        "chosen": chosen,
        "current": now,
        "where": where,
        "window": f"{budget['from']} – {budget['to']}, {budget['lapses']:,} lapses",
    }

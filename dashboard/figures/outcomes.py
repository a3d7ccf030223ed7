"""Figures and card texts of the Outcomes page, from the read layer's result dict.

Pure functions of ``dashboard.read.outcomes.program_outcomes`` output, so the unit tests can
check what a supervisor reads (a change of "+3.1 pts", an "n < 11" mark) without a database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dashboard.figures.layout import FigureSpec, figure
from dashboard.figures.palette import TIER_COLORS, TIER_LABELS
from etl.vocabulary import TIERS

SMALL_MARK = "n < 11"
# Headline cards: (key, label, how to read it out of the result, kind).
CARDS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("census", "Census (last day)", ("census_end",), "count"),
    ("census-avg", "Mean daily census", ("census_avg",), "decimal"),
    ("admissions", "Admissions", ("admissions",), "count"),
    ("discharges", "Discharges", ("discharges",), "count"),
    ("retention", "Retained 30 days", ("retention", "30", "rate"), "rate"),
    ("adherence", "Check-in adherence", ("adherence", "rate"), "rate"),
    ("abstinence", "Abstinent days (self-report)", ("abstinence", "rate"), "rate"),
    ("screens", "Negative screens", ("screens", "negative_rate"), "rate"),
    ("followup", "Flags contacted within 24 h", ("followup", "within_24h_rate"), "rate"),
    ("median", "Median hours to contact", ("followup", "median_hours"), "hours"),
)
_SMALL_OF = {
    "census": ("census_small",),
    "census-avg": ("census_small",),
    "admissions": ("census_small",),
    "discharges": ("census_small",),
    "retention": ("retention", "30", "small"),
    "adherence": ("adherence", "small"),
    "abstinence": ("abstinence", "small"),
    "screens": ("screens", "small"),
    "followup": ("followup", "small"),
    "median": ("followup", "small"),
}


def _get(result: dict | None, path: tuple[str, ...]) -> Any:
    value: Any = result
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "hours":
        return f"{value:.1f} h"
    return f"{int(value):,}"


def change(now: Any, before: Any, kind: str) -> str:
    """The change since the previous period, in the figure's own unit (points for a rate)."""
    if now is None or before is None:
        return "no earlier figure"
    delta = now - before
    if kind == "rate":
        return f"{100 * delta:+.1f} pts vs previous period"
    if kind == "hours":
        return f"{delta:+.1f} h vs previous period"
    if kind == "decimal":
        return f"{delta:+.1f} vs previous period"
    return f"{int(delta):+,} vs previous period"


def cards(result: dict, previous: dict | None) -> list[dict[str, Any]]:
    """One dict per card: key, label, value, change, small."""
    out = []
    for key, label, path, kind in CARDS:
        value = _get(result, path)
        out.append(
            {
                "key": key,
                "label": label,
                "value": fmt(value, kind),
                "change": change(value, _get(previous, path), kind) if previous else "",
                "small": bool(_get(result, _SMALL_OF[key])),
            }
        )
    return out


def survival_figure(survival: dict) -> FigureSpec:
    """Kaplan-Meier: share of the period's admissions still in treatment by day."""
    trace = {
        "type": "scatter",
        "mode": "lines",
        "line": {"shape": "hv", "color": "#0072B2", "width": 2},
        "x": survival["day"],
        "y": survival["share"],
        "name": "still in treatment",
        "hovertemplate": "day %{x}: %{y:.0%}<extra></extra>",
    }
    title = "Days in treatment (Kaplan-Meier)"
    if survival.get("small"):
        title += f" · {SMALL_MARK}"
    return figure(
        [trace],
        280,
        title={"text": title, "font": {"size": 13}},
        xaxis={"title": {"text": "days since admission"}},
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        hovermode="closest",
        margin={"l": 48, "r": 16, "t": 40, "b": 40},
    )


def trends_figure(weekly: list[dict]) -> FigureSpec:
    weeks = [w["week_start"] for w in weekly]
    series = (
        ("adherence", "check-in adherence", "#0072B2", "circle"),
        ("abstinence", "abstinent days", "#009E73", "diamond"),
        ("negative_rate", "negative screens", "#CC79A7", "square"),
    )
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": weeks,
            "y": [w[key] for w in weekly],
            "name": name,
            "line": {"color": color},
            "marker": {"symbol": symbol, "size": 7},
            "hovertemplate": f"{name}: %{{y:.1%}}<extra></extra>",
        }
        for key, name, color, symbol in series
    ]
    return figure(
        data,
        280,
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        xaxis={"title": {"text": "week starting"}},
    )


def mix_figure(risk_mix: list[dict]) -> FigureSpec:
    """Share of scored client-days per tier each week, stacked to 100%."""
    weeks = [m["week_start"] for m in risk_mix]
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "stackgroup": "tiers",
            "x": weeks,
            "y": [m[tier] for m in risk_mix],
            "name": TIER_LABELS[tier],
            "line": {"color": TIER_COLORS[tier], "width": 1},
            "fillcolor": TIER_COLORS[tier],
            "hovertemplate": f"{TIER_LABELS[tier]}: %{{y:.1%}}<extra></extra>",
        }
        for tier in TIERS
    ]
    return figure(
        data,
        280,
        yaxis={"range": [0, 1], "tickformat": ".0%"},
        xaxis={"title": {"text": "week starting"}},
    )


def balance_figure(counselors: list[dict]) -> FigureSpec:
    """Caseload and contacts per counselor, side by side."""
    names = [c["name"] for c in counselors]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": [c["caseload_end"] for c in counselors],
            "name": "clients on the last day",
            "marker": {"color": "#0072B2"},
        },
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": [c["contacts"] for c in counselors],
            "name": "contacts logged",
            "marker": {"color": "#E69F00", "pattern": {"shape": "/"}},
        },
    ]
    return figure(
        data,
        max(160, 60 + 44 * len(counselors)),
        barmode="group",
        hovermode="closest",
        yaxis={"autorange": "reversed"},
        margin={"l": 120, "r": 16, "t": 28, "b": 28},
    )


def counselor_rows(counselors: list[dict]) -> list[dict[str, Any]]:
    return [
        {
            "counselor": c["name"],
            "caseload": c["caseload_end"],
            "contacts": c["contacts"],
            "flags": c["flags"],
            "within_24h": fmt(c["within_24h_rate"], "rate"),
            "median": fmt(c["median_hours"], "hours"),
            "note": SMALL_MARK if c["small"] else "",
        }
        for c in counselors
    ]


def _month(value: str) -> str:
    """``2026-08`` as ``Aug 2026``."""
    year, month = value.split("-")
    return f"{dt.date(int(year), int(month), 1):%b %Y}"


def cohort_rows(cohorts: list[dict]) -> list[dict[str, Any]]:
    def cell(block: dict) -> str:
        if not block["eligible"]:
            return "–"
        mark = f" ({SMALL_MARK})" if block["small"] else ""
        return f"{fmt(block['rate'], 'rate')} of {block['eligible']}{mark}"

    return [
        {
            "month": _month(c["month"]),
            "admitted": c["admitted"],
            **{n: cell(c[n]) for n in ("30", "60", "90")},
        }
        for c in cohorts
    ]

"""Figures for the caseload pages (Missed, Sleep & stress): plain Plotly specs, as the client
page's (see ``figures/layout.py``). Tier is always shown by colour *and* marker shape."""

from __future__ import annotations

import datetime as dt
import zlib

import pandas as pd

from dashboard.figures import palette
from dashboard.figures.layout import FigureSpec, figure
from dashboard.missed import MISSED, NOT_EXPECTED, PENDING, RECEIVED, STATE_CODES
from dashboard.read.frames import frame_rows
from dashboard.triage import number
from etl.vocabulary import TIERS

ROW_PX = 20  # one heat-map row per client: 150 clients scroll, they are never squeezed
STATE_COLORS = {
    NOT_EXPECTED: palette.NOT_EXPECTED,
    RECEIVED: palette.DONE,
    PENDING: palette.PENDING,
    MISSED: palette.MISSED,
}
STATE_LABELS = {
    NOT_EXPECTED: "not expected",
    RECEIVED: "check-in received",
    PENDING: "due today, not in yet",
    MISSED: "missed",
}


def empty_figure(message: str, height: int = 220) -> FigureSpec:
    return figure(
        [],
        height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5}
        ],
    )


def _discrete_scale() -> list:
    n = len(STATE_CODES)
    scale = []
    for state, code in sorted(STATE_CODES.items(), key=lambda kv: kv[1]):
        scale += [[code / n, STATE_COLORS[state]], [(code + 1) / n, STATE_COLORS[state]]]
    return scale


def heat_map(names: list[str], ids: list[str], dates: list[dt.date], rows: list[list]):
    """One row per client (worst first, top), one column per day. Hover names the day and
    the state; ``customdata`` carries the client id for a click."""
    if not rows:
        return empty_figure("No active clients on this caseload.")
    n = len(STATE_CODES)
    z = [[STATE_CODES[s] + 0.5 for s in row] for row in rows]
    days = [f"{d:%a %b %-d}: " for d in dates]  # strftime once per column, not per cell
    hover = [
        [f"{name} · {day}{STATE_LABELS[s]}" for day, s in zip(days, row, strict=True)]
        for name, row in zip(names, rows, strict=True)
    ]
    heat = {
        "type": "heatmap",
        "z": z,
        "x": [d.isoformat() for d in dates],
        "y": ids,
        "customdata": hover,
        "hovertemplate": "%{customdata}<extra></extra>",
        "zmin": 0,
        "zmax": n,
        "xgap": 1,
        "ygap": 1,
        "showscale": False,
        "colorscale": _discrete_scale(),
    }
    return figure(
        [heat],
        max(200, 60 + ROW_PX * len(rows)),
        hovermode="closest",
        margin={"l": 8, "r": 8, "t": 8, "b": 40},
        xaxis={"type": "date", "tickformat": "%b %-d", "dtick": 7 * 86400000, "side": "bottom"},
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "tickmode": "array",
            "tickvals": ids,
            "ticktext": names,
            "automargin": True,
            "fixedrange": True,
        },
    )


def adherence_trend(trend: pd.DataFrame, title_of: dict[str, str]) -> FigureSpec:
    """Adherence per week, one line per group (the caseload; a supervisor's counselors and
    program)."""
    if trend.empty:
        return empty_figure("No expected check-ins in these weeks.")
    data = []
    for group, g in trend.groupby("group", sort=False):
        name = title_of.get(str(group), str(group))
        program = group == "program"
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [d.isoformat() for d in g["week_end"]],
                "y": [None if pd.isna(v) else round(100 * v, 1) for v in g["adherence"]],
                "line": {"width": 3 if program else 1.5, "dash": "solid" if program else "dot"},
                "hovertemplate": f"{name}<br>week to %{{x|%b %-d}}: %{{y:.0f}}%<extra></extra>",
            }
        )
    return figure(
        data,
        260,
        hovermode="closest",
        yaxis={"range": [0, 105], "ticksuffix": "%", "title": {"text": "check-ins received"}},
        xaxis={"type": "date", "tickformat": "%b %-d"},
    )


def _jitter(key: int, span: float = 0.3) -> float:
    """A fixed offset per client, so marks on the same whole number do not hide each other."""
    return (zlib.crc32(str(key).encode()) % 1000 / 999 - 0.5) * span


def signals_scatter(table: pd.DataFrame, short_hours: float) -> FigureSpec:
    """Sleep deficit (short nights of the last 7) against stress elevation (SD above own
    baseline), one mark per client, tier as colour and shape; click opens the client."""
    if table.empty:
        return empty_figure("No active clients on this caseload.")
    columns = ["tier", "name", "short_nights", "stress", "stress_z", "client_key", "client_id"]
    by_tier: dict[str | None, list[dict]] = {}
    for r in frame_rows(table, columns):  # a few rows a tier: plain Python beats frame filters
        tier = r["tier"] if isinstance(r["tier"], str) else None
        by_tier.setdefault(tier, []).append(r)
    data = []
    for tier in (*TIERS, None):
        part = by_tier.get(tier)
        if not part:
            continue
        hover = []
        for r in part:
            stress, z = number(r["stress"]), number(r["stress_z"])
            hover.append(
                f"{r['name']}<br>{r['short_nights']} of the last 7 nights under "
                f"{short_hours:g} h<br>stress "
                + ("–" if stress is None else f"{stress:.0f}/10")
                + ("" if z is None else f", {z:+.1f} SD from own baseline")
            )
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": palette.TIER_LABELS.get(tier, "Not scored") if tier else "Not scored",
                "x": [r["short_nights"] + _jitter(r["client_key"]) for r in part],
                "y": [None if (z := number(r["stress_z"])) is None else round(z, 2) for r in part],
                "customdata": [r["client_id"] for r in part],
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "marker": {
                    "size": 11,
                    "color": palette.TIER_COLORS.get(tier, "#6c757d") if tier else "#6c757d",
                    "symbol": palette.TIER_SYMBOLS.get(tier, "circle-open")
                    if tier
                    else "circle-open",
                    "line": {"width": 1, "color": "white"},
                },
            }
        )
    return figure(
        data,
        340,
        hovermode="closest",
        xaxis={
            "title": {"text": f"nights under {short_hours:g} h, last 7"},
            "range": [-0.5, 7.5],
            "dtick": 1,
        },
        yaxis={
            "title": {"text": "stress above their usual"},
            "zeroline": True,
        },
    )


def distribution(values: list, title: str, threshold: float | None, unit: str) -> FigureSpec:
    """A histogram of one number per client, with the rule's threshold drawn."""
    clean = [float(v) for v in values if v is not None and not pd.isna(v)]
    if not clean:
        return empty_figure("No answers in the last 7 days.", 200)
    shapes = []
    if threshold is not None:
        shapes.append(
            {
                "type": "line",
                "x0": threshold,
                "x1": threshold,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": palette.TIER_COLORS["high"], "dash": "dash", "width": 1.5},
            }
        )
    hist = {
        "type": "histogram",
        "x": clean,
        "marker": {"color": palette.BASELINE_LINE},
        "hovertemplate": f"%{{x}} {unit}: %{{y}} clients<extra></extra>",
        "xbins": {"size": 0.5},
    }
    return figure(
        [hist],
        220,
        hovermode="closest",
        title={"text": title, "font": {"size": 13}, "x": 0, "xanchor": "left"},
        margin={"l": 40, "r": 8, "t": 36, "b": 32},
        yaxis={"title": {"text": "clients"}},
        shapes=shapes,
        bargap=0.05,
    )


def signal_trend(lines: dict[str, pd.DataFrame]) -> FigureSpec:
    """Weekly mean sleep hours (left) and stress (right) for the caseload (and program)."""
    data = []
    for label, weekly in lines.items():
        if weekly.empty:
            continue
        x = [d.isoformat() for d in weekly["week_end"]]
        dash = "solid" if label == "caseload" else "dot"
        for col, axis, unit, color in (
            ("sleep_hours", "y", "h sleep", palette.DONE),
            ("stress", "y2", "stress", palette.TIER_COLORS["high"]),
        ):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{unit} ({label})",
                    "x": x,
                    "y": [None if pd.isna(v) else round(float(v), 2) for v in weekly[col]],
                    "yaxis": axis,
                    "line": {"color": color, "dash": dash},
                    "hovertemplate": f"{label}, week to %{{x|%b %-d}}: %{{y:.1f}} {unit}"
                    "<extra></extra>",
                }
            )
    if not data:
        return empty_figure("No answers in these weeks.")
    return figure(
        data,
        260,
        hovermode="closest",
        xaxis={"type": "date", "tickformat": "%b %-d"},
        yaxis={"title": {"text": "mean hours slept"}, "range": [0, 10]},
        yaxis2={
            "title": {"text": "mean stress (0-10)"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 10],
        },
    )

"""Shared figure plumbing: one light theme, stacked rows of axes, and the figure spec type.

Builders return plain Plotly figure specs (``{"data": [...], "layout": {...}}``), which
``dcc.Graph`` takes as they are. Building ``plotly.graph_objects`` figures validates every
property on every call, which costs several times more than all the client page's queries
together; the unit tests run each spec through ``go.Figure`` instead, so a wrong property
name still fails a test.
"""

from __future__ import annotations

from typing import Any

from dashboard.figures.palette import FONT

FigureSpec = dict[str, Any]

GRID = "#e9edf3"
AXIS = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True}
THEME = {
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "font": {"family": FONT, "size": 12, "color": "#2b2f33"},
    "hoverlabel": {"align": "left"},
    "margin": {"l": 48, "r": 16, "t": 28, "b": 28},
    "hovermode": "x unified",
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
}


def figure(data: list[dict], height: int, **layout: Any) -> FigureSpec:
    """A spec with the theme applied; ``layout`` keys override it. Every axis gets the theme's
    grid colours unless it says otherwise."""
    merged: dict[str, Any] = {**THEME, "height": height, **layout}
    for key in [k for k in merged if k.startswith(("xaxis", "yaxis"))] or []:
        merged[key] = {**AXIS, **merged[key]}
    merged.setdefault("xaxis", dict(AXIS))
    merged.setdefault("yaxis", dict(AXIS))
    return {"data": data, "layout": merged}


def axis_name(row: int, kind: str) -> str:
    """Layout key of a row's axis: ``xaxis``, ``xaxis2``... (trace refs drop the 'axis')."""
    return f"{kind}axis{'' if row == 1 else row}"


def stacked_rows(heights: list[float], gap: float = 0.05, titles: list[str] | None = None) -> dict:
    """Layout for rows of plots sharing one x axis, top row first (what ``make_subplots``
    builds). Only the bottom row shows the dates."""
    n = len(heights)
    usable = 1 - gap * (n - 1)
    total = sum(heights)
    layout: dict = {}
    annotations = []
    top = 1.0
    for row, h in enumerate(heights, start=1):
        bottom = max(0.0, top - usable * h / total)
        suffix = "" if row == 1 else str(row)
        layout[axis_name(row, "y")] = {"domain": [bottom, top], "anchor": f"x{suffix}"}
        x = {"anchor": f"y{suffix}", "showticklabels": row == n}
        if row > 1:
            x["matches"] = "x"
        layout[axis_name(row, "x")] = x
        if titles:
            annotations.append(
                {
                    "text": titles[row - 1],
                    "x": 0.5,
                    "y": top,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 12},
                }
            )
        top = bottom - gap
    if annotations:
        layout["annotations"] = annotations
    return layout


def row_ref(row: int) -> dict:
    """Trace keys placing it on a row made by ``stacked_rows``."""
    suffix = "" if row == 1 else str(row)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}

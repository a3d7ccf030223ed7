"""The client's Brief Addiction Monitor scales over time, each against its cut-off.

Three rows sharing the date axis: Use (flag at 1 or more), Risk factors (flag at 12 or
more) and Protective factors (flag at 12 or less; here lower is worse). The flagged side of
each cut-off is shaded and a flagged form is drawn as a filled triangle, so the flag reads
without colour. Items 7 and 17 are not scales and are not drawn.
"""

from __future__ import annotations

import pandas as pd

from dashboard.figures.client import empty_figure
from dashboard.figures.layout import FigureSpec, figure, row_ref, stacked_rows
from dashboard.triage import flags
from etl import bam

SCALES = (
    # (column, title, flag column, cut-off, flagged when the score is at or ...)
    ("use_score", "Use (flag at 1 or more)", "is_use_flagged", bam.USE_FLAG_AT, "above"),
    (
        "risk_score",
        "Risk factors (flag at 12 or more)",
        "is_risk_flagged",
        bam.RISK_FLAG_AT,
        "above",
    ),
    (
        "protective_score",
        "Protective factors (flag at 12 or less)",
        "is_protective_flagged",
        bam.PROTECTIVE_FLAG_AT,
        "below",
    ),
)
LINE = "#333333"
FLAGGED = "#D55E00"
FLAG_FILL = "rgba(213,94,0,0.08)"
CUT = "#D55E00"


def bam_trend(forms: pd.DataFrame) -> FigureSpec:
    """One row per scale; a dashed line at the cut-off, the flagged side shaded."""
    if forms.empty:
        # One line in the panel, not an empty chart's height.
        return empty_figure("No Brief Addiction Monitor forms in this period.", 90)
    x = [d.isoformat() for d in forms["date"]]
    recall = [f"{r}-day form" for r in forms["recall_days"]]
    layout = stacked_rows([1, 1, 1], gap=0.09, titles=[s[1] for s in SCALES])
    data: list[dict] = []
    shapes: list[dict] = []
    first, last = min(x), max(x)
    for row, (column, title, flag, cut, side) in enumerate(SCALES, start=1):
        top = bam.SCALE_MAX[column.removesuffix("_score")]
        ref = row_ref(row)
        flagged = flags(forms[flag]).tolist()
        values = [None if pd.isna(v) else int(v) for v in forms[column]]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": values,
                "customdata": recall,
                "name": title.split(" (")[0],
                "showlegend": False,
                "line": {"color": LINE, "width": 1.5},
                "marker": {
                    "color": [FLAGGED if f else "white" for f in flagged],
                    "line": {"color": [FLAGGED if f else LINE for f in flagged], "width": 1.5},
                    "symbol": ["triangle-up" if f else "circle" for f in flagged],
                    "size": 9,
                },
                "hovertemplate": "%{y} · %{customdata}<extra>" + title.split(" (")[0] + "</extra>",
                **ref,
            }
        )
        lo, hi = (cut - 0.5, top + 0.5) if side == "above" else (-0.5, cut + 0.5)
        shapes.append(
            {
                "type": "rect",
                "xref": f"{ref['xaxis']} domain",
                "yref": ref["yaxis"],
                "x0": 0,
                "x1": 1,
                "y0": lo,
                "y1": hi,
                "fillcolor": FLAG_FILL,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        shapes.append(
            {
                "type": "line",
                "xref": f"{ref['xaxis']} domain",
                "yref": ref["yaxis"],
                "x0": 0,
                "x1": 1,
                "y0": cut,
                "y1": cut,
                "line": {"color": CUT, "width": 1, "dash": "dash"},
            }
        )
        axis = "yaxis" if row == 1 else f"yaxis{row}"
        layout[axis] = {**layout[axis], "range": [-0.5, top + 0.5], "fixedrange": True}
    if first == last:  # one form: give the axis some width around it
        pad = pd.Timedelta(days=7)
        day = pd.Timestamp(first)
        layout["xaxis"] = {
            **layout["xaxis"],
            "range": [(day - pad).date().isoformat(), (day + pad).date().isoformat()],
        }
    return figure(data, 360, shapes=shapes, hovermode="closest", **layout)

"""Several figure specs stacked into one figure that shares its date axis.

The client page once drew four figures; each is a Plotly plot of its own, laid out, sized and
re-laid out by the browser, and that, not the server, was where its seconds went. Stacking
them keeps each builder small and testable on its own while the browser draws one plot: each
part's rows keep their order and relative heights inside the part's slot, every x axis
matches the first, and references to the part's axes (traces, shapes, annotations) are
renumbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dashboard.figures.layout import FigureSpec

_AXIS_KEY = re.compile(r"^([xy])axis(\d*)$")
_REF = re.compile(r"^([xy])(\d*)( domain)?$")


@dataclass
class Part:
    """One figure spec and the share of the stacked height it gets (in pixels)."""

    spec: FigureSpec
    height: float
    title: str | None = None
    axes: dict[str, dict] = field(default_factory=dict)  # extra settings per own axis key


def _number(n: str) -> int:
    return int(n) if n else 1


def _name(kind: str, n: int, key: bool) -> str:
    suffix = "" if n == 1 else str(n)
    return f"{kind}axis{suffix}" if key else f"{kind}{suffix}"


def _ref(value: Any, offset: int) -> Any:
    """'x2' -> 'x5', 'y domain' -> 'y4 domain'; 'paper' and the like are left alone."""
    if not isinstance(value, str):
        return value
    m = _REF.match(value)
    if not m:
        return value
    return _name(m.group(1), _number(m.group(2)) + offset, key=False) + (m.group(3) or "")


def _labelled(part: Part) -> bool:
    """Whether the part draws date labels under itself (they take room in the next gap)."""
    axes = [part.spec["layout"].get(k, {}) for k in part.spec["layout"] if k.startswith("xaxis")]
    return any(a.get("showticklabels") for a in [*axes, *part.axes.values()])


def stack(
    parts: list[Part], gap_px: float = 34, margin: dict | None = None, labels_px: float = 20
) -> FigureSpec:
    """One spec holding every part, top to bottom; parts' paper-referenced annotations stay
    within their slot. Layout keys other than axes, shapes and annotations come from the first
    part (theme, hover mode, legend), with ``barmode`` taken from whichever part sets it. The
    gap under a part that draws its own date labels is ``labels_px`` taller, so the next
    part's title and legend sit below those labels, not on them."""
    margin = margin or {"l": 112, "r": 16, "t": 36, "b": 32}
    gaps = [gap_px + (labels_px if _labelled(p) else 0) for p in parts[:-1]]
    plot_height = sum(p.height for p in parts) + sum(gaps)
    total = plot_height + margin["t"] + margin["b"]
    layout: dict[str, Any] = {
        k: v
        for k, v in parts[0].spec["layout"].items()
        if not _AXIS_KEY.match(k) and k not in ("shapes", "annotations", "height")
    }
    layout.update(height=total, margin=margin, shapes=[], annotations=[])
    layout.pop("legend", None)
    for p in parts:
        if "barmode" in p.spec["layout"]:
            layout["barmode"] = p.spec["layout"]["barmode"]
    data: list[dict] = []
    offset = 0
    top = 1.0
    for index, part in enumerate(parts):
        span = part.height / plot_height
        bottom = top - span
        own = part.spec["layout"]
        rows = sorted(
            {_number(m.group(2)) for k in own if (m := _AXIS_KEY.match(k)) and m.group(1) == "y"}
            or {1}
        )
        for kind in ("x", "y"):
            for n in rows:
                axis = dict(own.get(_name(kind, n, key=True), {}))
                axis.update(part.axes.get(_name(kind, n, key=True), {}))
                new = n + offset
                if kind == "y":
                    lo, hi = axis.get("domain", [0.0, 1.0])
                    axis["domain"] = [bottom + lo * span, bottom + hi * span]
                    axis["anchor"] = _name("x", new, key=False)
                else:
                    axis["anchor"] = _name("y", new, key=False)
                    axis.pop("domain", None)
                    if new > 1:
                        axis["matches"] = "x"
                    else:
                        axis.pop("matches", None)
                layout[_name(kind, new, key=True)] = axis
        legend = "legend" if index == 0 else f"legend{index + 1}"
        for trace in part.spec["data"]:
            t = dict(trace)
            t["xaxis"] = _ref(t.get("xaxis", "x"), offset)
            t["yaxis"] = _ref(t.get("yaxis", "y"), offset)
            t["legend"] = legend
            data.append(t)
        # Each part's legend sits on its own title line, right-aligned: a legend for the
        # whole figure would wrap above the first part, far from what it explains.
        layout[legend] = {
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": top,
            "yanchor": "bottom",
            "font": {"size": 11},
            "bgcolor": "rgba(255,255,255,0)",
        }
        for shape in own.get("shapes", []):
            s = dict(shape)
            s["xref"], s["yref"] = (
                _ref(s.get("xref", "x"), offset),
                _ref(s.get("yref", "y"), offset),
            )
            layout["shapes"].append(s)
        for note in own.get("annotations", []):
            a = dict(note)
            if a.get("yref") == "paper":
                a["y"] = bottom + float(a.get("y", 0)) * span
            else:
                a["yref"] = _ref(a.get("yref", "y"), offset)
            if a.get("xref") != "paper":
                a["xref"] = _ref(a.get("xref", "x"), offset)
            layout["annotations"].append(a)
        if part.title:
            layout["annotations"].append(
                {
                    "text": f"<b>{part.title}</b>",
                    "x": 0,
                    "y": top,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 13},
                }
            )
        offset += max(rows)
        top = bottom - (gaps[index] if index < len(gaps) else 0) / plot_height
    return {"data": data, "layout": layout}

"""Figures for the client page: the read model's DataFrames in, Plotly figure specs out."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.figures import palette
from dashboard.figures.layout import FigureSpec, figure, row_ref, stacked_rows
from dashboard.read.client import SIGNALS, TRIGGERS
from dashboard.triage import local_time, reasons_text

SIGNAL_TITLES = {
    "craving": "Craving (0-10)",
    "stress": "Stress (0-10)",
    "mood": "Mood (0-10, higher is better)",
    "sleep_hours": "Sleep (hours)",
    "sleep_quality": "Sleep quality (1-5)",
}
SIGNAL_RANGES = {
    "craving": (0, 10),
    "stress": (0, 10),
    "mood": (0, 10),
    "sleep_hours": (0, 12),
    "sleep_quality": (1, 5),
}


def _iso(values) -> list[str]:
    """Dates as ISO strings: the JSON encoder then has nothing to convert (much faster)."""
    return [v.isoformat() for v in values]


def _values(series: pd.Series) -> list:
    """JSON-ready values: NaN becomes null."""
    return [None if v is None or v != v else v for v in series.tolist()]


def empty_figure(message: str, height: int = 220) -> FigureSpec:
    note = {
        "text": message,
        "showarrow": False,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "font": {"size": 14, "color": "#6c757d"},
    }
    return figure(
        [], height, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False}
    )


def tier_bands(floors: pd.DataFrame, top: float) -> list[tuple[str, float, float]]:
    """(tier, from, to) bands from the lowest score stored in each tier."""
    known = {
        t: float(f)
        for t, f in zip(floors.get("tier", []), floors.get("floor", []), strict=True)
        if t in palette.TIERS
    }
    ordered = [t for t in palette.TIERS if t in known]
    bands = []
    for i, tier in enumerate(ordered):
        start = 0.0 if i == 0 else known[tier]
        end = known[ordered[i + 1]] if i + 1 < len(ordered) else top
        if end > start:
            bands.append((tier, start, end))
    return bands


def risk_trend(
    risk: pd.DataFrame, floors: pd.DataFrame, days: pd.DataFrame, screens: pd.DataFrame
) -> FigureSpec:
    """Daily score with tier bands, and a strip below for reported use and drug screens."""
    if risk.empty:
        return empty_figure("No risk scores yet for this client.", 300)
    top = max(100.0, float(risk["score"].max()) * 1.05)
    shapes, labels = [], []
    for tier, start, end in tier_bands(floors, top):
        shapes.append(
            {
                "type": "rect",
                "xref": "x domain",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": start,
                "y1": end,
                "fillcolor": palette.TIER_BAND_COLORS[tier],
                "line": {"width": 0},
                "layer": "below",
            }
        )
        labels.append(
            {
                "text": palette.TIER_LABELS[tier],
                "xref": "x domain",
                "yref": "y",
                "x": 0.005,
                "y": end,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 10, "color": palette.TIER_COLORS[tier]},
            }
        )
    hover = [reasons_text(r, top=3) or "no flagged signal" for r in risk["reasons"]]
    data = [
        {
            "type": "scatter",
            "x": _iso(risk["date"]),
            "y": _values(risk["score"]),
            "mode": "lines",
            "line": {"color": "#555", "width": 1.5},
            "name": "Risk score",
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    for tier in palette.TIERS:
        part = risk[risk["tier"] == tier]
        if part.empty:
            continue
        data.append(
            {
                "type": "scatter",
                "x": _iso(part["date"]),
                "y": _values(part["score"]),
                "mode": "markers",
                "name": palette.TIER_LABELS[tier],
                "marker": {
                    "color": palette.TIER_COLORS[tier],
                    "symbol": palette.TIER_SYMBOLS[tier],
                    "size": 7,
                },
                "customdata": [hover[i] for i in part.index],
                "hovertemplate": "%{y:.0f} "
                + palette.TIER_LABELS[tier]
                + "<br>%{customdata}<extra></extra>",
            }
        )
    used = days[days["used_reported"].fillna(False).astype(bool)] if not days.empty else days
    if not used.empty:
        data.append(
            {
                "type": "scatter",
                "x": _iso(used["date"]),
                "y": ["Use reported"] * len(used),
                "mode": "markers",
                "name": "Use reported",
                "marker": {
                    "symbol": "triangle-down",
                    "size": 10,
                    "color": palette.TIER_COLORS["critical"],
                },
                "hovertemplate": "Use reported<extra></extra>",
                **row_ref(2),
            }
        )
    if not screens.empty:
        positive = screens["result"].eq("positive")
        for label, part, symbol, color in (
            ("Screen positive", screens[positive], "x", palette.TIER_COLORS["high"]),
            ("Screen not positive", screens[~positive], "circle-open", palette.DONE),
        ):
            if part.empty:
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": _iso(part["date"]),
                    "y": ["Screen"] * len(part),
                    "mode": "markers",
                    "name": label,
                    "marker": {"symbol": symbol, "size": 9, "color": color},
                    "customdata": (part["substance"] + ": " + part["result"]).tolist(),
                    "hovertemplate": "%{customdata}<extra></extra>",
                    **row_ref(2),
                }
            )
    axes = stacked_rows([0.78, 0.22], gap=0.04)
    axes["yaxis"].update(title={"text": "Score"}, range=[0, top])
    axes["yaxis2"].update(
        type="category",
        categoryorder="array",
        categoryarray=["Screen", "Use reported"],
        range=[-0.7, 1.7],
    )
    return figure(data, 340, shapes=shapes, annotations=labels, **axes)


def signal_multiples(days: pd.DataFrame) -> FigureSpec:
    """One small chart per signal, with the client's own 28-day baseline band (IQR)."""
    if days.empty or days[list(SIGNALS)].notna().sum().sum() == 0:
        return empty_figure("No check-ins in this period.", 260)
    dates = _iso(days["date"])
    data = []
    for row, signal in enumerate(SIGNALS, start=1):
        where = row_ref(row)
        band = days[["date", f"{signal}_q25", f"{signal}_q75"]].dropna()
        if not band.empty:
            # One closed polygon per band: the upper edge forward, the lower edge back.
            band_dates = _iso(band["date"])
            data.append(
                {
                    "type": "scatter",
                    "x": band_dates + band_dates[::-1],
                    "y": band[f"{signal}_q75"].tolist() + band[f"{signal}_q25"].tolist()[::-1],
                    "fill": "toself",
                    "fillcolor": palette.BASELINE_FILL,
                    "line": {"width": 0},
                    "name": "Usual range (28-day IQR)",
                    "showlegend": row == 1,
                    "legendgroup": "band",
                    "hoverinfo": "skip",
                    **where,
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": dates,
                "y": _values(days[f"{signal}_median"]),
                "mode": "lines",
                "line": {"color": palette.BASELINE_LINE, "dash": "dot", "width": 1},
                "name": "Own median",
                "showlegend": row == 1,
                "legendgroup": "median",
                "hovertemplate": "median %{y:.1f}<extra></extra>",
                **where,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": dates,
                "y": _values(days[signal]),
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": palette.SIGNAL_LINE, "width": 1.5},
                "marker": {"size": 4},
                "name": SIGNAL_TITLES[signal],
                "showlegend": False,
                "hovertemplate": "%{y:.1f}<extra>" + signal.replace("_", " ") + "</extra>",
                **where,
            }
        )
    axes = stacked_rows([1.0] * len(SIGNALS), gap=0.055, titles=[SIGNAL_TITLES[s] for s in SIGNALS])
    for row, signal in enumerate(SIGNALS, start=1):
        low, high = SIGNAL_RANGES[signal]
        axes["yaxis" if row == 1 else f"yaxis{row}"].update(range=[low - 0.3, high + 0.3], nticks=4)
    return figure(data, 620, **axes)


def checkin_calendar(days: pd.DataFrame) -> FigureSpec:
    """Weeks across, weekdays down: done, missed, or not expected."""
    if days.empty:
        return empty_figure("No expected check-ins in this period.", 200)
    d = days[["date", "is_expected", "is_received"]].copy()
    d["date"] = pd.to_datetime(d["date"])
    d["week"] = d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D")
    d["weekday"] = d["date"].dt.day_of_week
    expected = d["is_expected"].fillna(False).astype(bool)
    received = d["is_received"].fillna(False).astype(bool)
    d["state"] = 0
    d.loc[expected & ~received, "state"] = 1
    d.loc[received, "state"] = 2
    label = {0: "not expected", 1: "missed", 2: "done"}
    mark = {0: "", 1: "✕", 2: "✓"}
    weeks = sorted(d["week"].unique())
    z = [[None] * len(weeks) for _ in range(7)]
    text = [[""] * len(weeks) for _ in range(7)]
    hover = [[""] * len(weeks) for _ in range(7)]
    col = {w: i for i, w in enumerate(weeks)}
    for date, week, weekday, state in zip(
        d["date"], d["week"], d["weekday"], d["state"], strict=True
    ):
        z[weekday][col[week]] = int(state)
        text[weekday][col[week]] = mark[int(state)]
        hover[weekday][col[week]] = f"{date:%a %b %-d}: {label[int(state)]}"
    heat = {
        "type": "heatmap",
        "z": z,
        "x": [pd.Timestamp(w).date().isoformat() for w in weeks],
        "y": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 10, "color": "#ffffff"},
        "customdata": hover,
        "hovertemplate": "%{customdata}<extra></extra>",
        "zmin": 0,
        "zmax": 2,
        "xgap": 2,
        "ygap": 2,
        "showscale": False,
        "colorscale": [
            [0, palette.NOT_EXPECTED],
            [0.33, palette.NOT_EXPECTED],
            [0.34, palette.MISSED],
            [0.66, palette.MISSED],
            [0.67, palette.DONE],
            [1, palette.DONE],
        ],
    }
    return figure([heat], 230, yaxis={"autorange": "reversed"}, hovermode="closest")


def trigger_exposure(triggers: pd.DataFrame) -> FigureSpec:
    """Check-ins reporting each kind of cue, per week."""
    flags = triggers[list(TRIGGERS)].fillna(False).astype(bool) if not triggers.empty else None
    if flags is None or not flags.any().any():
        return empty_figure("No triggers reported in this period.", 220)
    dates = pd.to_datetime(triggers["date"])
    weeks = dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    weekly = flags.astype(int).groupby(weeks.to_numpy()).sum()
    x = [pd.Timestamp(w).date().isoformat() for w in weekly.index]
    data = [
        {
            "type": "bar",
            "x": x,
            "y": weekly[trig].tolist(),
            "name": trig.capitalize(),
            "marker": {"color": palette.TRIGGER_COLORS[trig]},
            "hovertemplate": "%{y} check-ins<extra>" + trig + "</extra>",
        }
        for trig in TRIGGERS
    ]
    return figure(data, 240, barmode="stack", yaxis={"title": {"text": "Check-ins"}})


def followup_rows(followups: pd.DataFrame, time_zone: str) -> list[dict]:
    rows = []
    for r in followups.itertuples(index=False):
        when = local_time(r.contacted_at, time_zone)
        has_flag = r.risk_tier and r.risk_date is not None and r.risk_score is not None
        rows.append(
            {
                "when": when.strftime("%Y-%m-%d %H:%M"),
                "method": str(r.method).replace("_", " "),
                "outcome": (r.outcome or "").replace("_", " "),
                "note": r.note or "",
                "flag": f"{r.risk_tier} ({r.risk_score:.0f}) on {r.risk_date:%b %-d}"
                if has_flag
                else "",
                "by": r.username,
            }
        )
    return rows


def days_in_treatment(admission: dt.date, on: dt.date, discharge: dt.date | None) -> int:
    end = min(on, discharge) if discharge else on
    return max(0, (end - admission).days + 1)

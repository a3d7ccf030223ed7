"""Figures for the client page. Inputs are the read model's DataFrames; outputs are figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import palette
from dashboard.read.client import SIGNALS, TRIGGERS
from dashboard.triage import reasons_text

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


def _base_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 48, "r": 16, "t": 28, "b": 28},
        font={"family": palette.FONT, "size": 12},
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def empty_figure(message: str, height: int = 220) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 14, "color": "#6c757d"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base_layout(fig, height)


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
) -> go.Figure:
    """Daily score with tier bands, and a strip below for reported use and drug screens."""
    if risk.empty:
        return empty_figure("No risk scores yet for this client.", 300)
    top = max(100.0, float(risk["score"].max()) * 1.05)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.04
    )
    for tier, start, end in tier_bands(floors, top):
        fig.add_hrect(
            y0=start,
            y1=end,
            fillcolor=palette.TIER_BAND_COLORS[tier],
            line_width=0,
            layer="below",
            row=1,
            col=1,
            annotation_text=palette.TIER_LABELS[tier],
            annotation_position="top left",
            annotation_font={"size": 10, "color": palette.TIER_COLORS[tier]},
        )
    hover = [reasons_text(r, top=3) or "no flagged signal" for r in risk["reasons"]]
    fig.add_trace(
        go.Scatter(
            x=risk["date"],
            y=risk["score"],
            mode="lines",
            line={"color": "#555", "width": 1.5},
            name="Risk score",
            hoverinfo="skip",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    for tier in palette.TIERS:
        part = risk[risk["tier"] == tier]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["date"],
                y=part["score"],
                mode="markers",
                name=palette.TIER_LABELS[tier],
                marker={
                    "color": palette.TIER_COLORS[tier],
                    "symbol": palette.TIER_SYMBOLS[tier],
                    "size": 7,
                },
                customdata=[hover[i] for i in part.index],
                hovertemplate="%{y:.0f} "
                + palette.TIER_LABELS[tier]
                + "<br>%{customdata}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    used = days[days["used_reported"].fillna(False).astype(bool)] if not days.empty else days
    if not used.empty:
        fig.add_trace(
            go.Scatter(
                x=used["date"],
                y=["Use reported"] * len(used),
                mode="markers",
                name="Use reported",
                marker={
                    "symbol": "triangle-down",
                    "size": 10,
                    "color": palette.TIER_COLORS["critical"],
                },
                hovertemplate="Use reported<extra></extra>",
            ),
            row=2,
            col=1,
        )
    if not screens.empty:
        positive = screens["result"].eq("positive")
        for label, part, symbol, color in (
            ("Screen positive", screens[positive], "x", palette.TIER_COLORS["high"]),
            ("Screen not positive", screens[~positive], "circle-open", palette.DONE),
        ):
            if part.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=part["date"],
                    y=["Screen"] * len(part),
                    mode="markers",
                    name=label,
                    marker={"symbol": symbol, "size": 9, "color": color},
                    customdata=part["substance"] + ": " + part["result"],
                    hovertemplate="%{customdata}<extra></extra>",
                ),
                row=2,
                col=1,
            )
    fig.update_yaxes(title_text="Score", range=[0, top], row=1, col=1)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=["Screen", "Use reported"],
        range=[-0.7, 1.7],
        row=2,
        col=1,
    )
    return _base_layout(fig, 340)


def signal_multiples(days: pd.DataFrame) -> go.Figure:
    """One small chart per signal, with the client's own 28-day baseline band (IQR)."""
    if days.empty or days[list(SIGNALS)].notna().sum().sum() == 0:
        return empty_figure("No check-ins in this period.", 260)
    fig = make_subplots(
        rows=len(SIGNALS),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.045,
        subplot_titles=[SIGNAL_TITLES[s] for s in SIGNALS],
    )
    for row, signal in enumerate(SIGNALS, start=1):
        q25, q75, med = days[f"{signal}_q25"], days[f"{signal}_q75"], days[f"{signal}_median"]
        fig.add_trace(
            go.Scatter(
                x=days["date"],
                y=q75,
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=days["date"],
                y=q25,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=palette.BASELINE_FILL,
                name="Usual range (28-day IQR)",
                showlegend=row == 1,
                hoverinfo="skip",
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=days["date"],
                y=med,
                mode="lines",
                line={"color": palette.BASELINE_LINE, "dash": "dot", "width": 1},
                name="Own median",
                showlegend=row == 1,
                hovertemplate="median %{y:.1f}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=days["date"],
                y=days[signal],
                mode="lines+markers",
                connectgaps=False,
                line={"color": palette.SIGNAL_LINE, "width": 1.5},
                marker={"size": 4},
                name=SIGNAL_TITLES[signal],
                showlegend=False,
                hovertemplate="%{y:.1f}<extra>" + signal.replace("_", " ") + "</extra>",
            ),
            row=row,
            col=1,
        )
        low, high = SIGNAL_RANGES[signal]
        fig.update_yaxes(range=[low - 0.3, high + 0.3], row=row, col=1, nticks=4)
    fig.update_annotations(font={"size": 12})
    return _base_layout(fig, 620)


def checkin_calendar(days: pd.DataFrame) -> go.Figure:
    """Weeks across, weekdays down: done, missed, or not expected."""
    if days.empty:
        return empty_figure("No expected check-ins in this period.", 200)
    d = days[["date", "is_expected", "is_received"]].copy()
    d["date"] = pd.to_datetime(d["date"])
    d["week"] = d["date"] - pd.to_timedelta(d["date"].dt.weekday, unit="D")
    d["weekday"] = d["date"].dt.weekday
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
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[pd.Timestamp(w).date() for w in weeks],
            y=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10, "color": "#ffffff"},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            zmin=0,
            zmax=2,
            xgap=2,
            ygap=2,
            showscale=False,
            colorscale=[
                [0, palette.NOT_EXPECTED],
                [0.33, palette.NOT_EXPECTED],
                [0.34, palette.MISSED],
                [0.66, palette.MISSED],
                [0.67, palette.DONE],
                [1, palette.DONE],
            ],
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig = _base_layout(fig, 230)
    fig.update_layout(hovermode="closest")
    return fig


def trigger_exposure(triggers: pd.DataFrame) -> go.Figure:
    """Check-ins reporting each kind of cue, per week."""
    if triggers.empty or not triggers[list(TRIGGERS)].fillna(False).astype(bool).any().any():
        return empty_figure("No triggers reported in this period.", 220)
    t = triggers.copy()
    t["date"] = pd.to_datetime(t["date"])
    t["week"] = t["date"] - pd.to_timedelta(t["date"].dt.weekday, unit="D")
    weekly = t.groupby("week")[list(TRIGGERS)].agg(
        lambda s: int(s.fillna(False).astype(bool).sum())
    )
    fig = go.Figure()
    for trig in TRIGGERS:
        fig.add_trace(
            go.Bar(
                x=[w.date() for w in weekly.index],
                y=weekly[trig],
                name=trig.capitalize(),
                marker_color=palette.TRIGGER_COLORS[trig],
                hovertemplate="%{y} check-ins<extra>" + trig + "</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="Check-ins")
    return _base_layout(fig, 240)


def followup_rows(followups: pd.DataFrame, time_zone: str) -> list[dict]:
    from dashboard.triage import local_time

    rows = []
    for r in followups.itertuples(index=False):
        when = local_time(r.contacted_at, time_zone)
        rows.append(
            {
                "when": when.strftime("%Y-%m-%d %H:%M"),
                "method": str(r.method).replace("_", " "),
                "outcome": (r.outcome or "").replace("_", " "),
                "note": r.note or "",
                "flag": f"{r.risk_tier} ({r.risk_score:.0f}) on {r.risk_date:%b %-d}"
                if r.risk_tier and r.risk_date is not None and r.risk_score is not None
                else "",
                "by": r.username,
            }
        )
    return rows


def days_in_treatment(admission: dt.date, on: dt.date, discharge: dt.date | None) -> int:
    end = min(on, discharge) if discharge else on
    return max(0, (end - admission).days + 1)

"""Figures for the client page: the read model's DataFrames in, Plotly figure specs out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.figures import palette
from dashboard.figures.layout import FigureSpec, figure, row_ref, stacked_rows
from dashboard.triage import as_date, flags, floats, local_time, reasons_text, week_starts
from etl.vocabulary import SIGNALS, TRIGGERS

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


SUPPORT_LANE = "Support contact"
STRIP_LANES = (SUPPORT_LANE, "Screen", "Use reported")  # bottom to top
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


def week_centres(weeks) -> list[str]:
    """A week column's x: the middle of its Monday-to-Sunday span (Thursday noon), so on a
    date axis shared with daily charts the column covers exactly its seven days."""
    return [f"{as_date(w) + dt.timedelta(days=3)}T12:00" for w in weeks]


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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


def tier_bands(thresholds: dict[str, float] | None, top: float) -> list[tuple[str, float, float]]:
    """(tier, from, to) bands from the program's thresholds (score >= threshold is in the
    tier, as the engine assigns it); none when the thresholds are unknown."""
    if not thresholds:
        return []
    edges = [0.0, *(float(thresholds[t]) for t in palette.TIERS[1:]), top]
    return [
        (tier, edges[i], edges[i + 1])
        for i, tier in enumerate(palette.TIERS)
        if edges[i + 1] > edges[i]
    ]


def risk_trend(
    risk: pd.DataFrame,
    thresholds: dict[str, float] | None,
    days: pd.DataFrame,
    screens: pd.DataFrame,
) -> FigureSpec:
    """Daily score with the program's tier bands, and a strip below for reported use and
    drug screens."""
    if risk.empty:
        return empty_figure("No risk scores yet for this client.", 300)
    top = max(100.0, float(risk["score"].max()) * 1.05)
    shapes, labels = [], []
    for tier, start, end in tier_bands(thresholds, top):
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
    # Plain lists split by tier: a boolean mask per tier would copy the whole frame each time.
    hover = [reasons_text(r, top=3, sep="<br>") or "no flagged signal" for r in risk["reasons"]]
    dates, scores, tiers = _iso(risk["date"]), _values(risk["score"]), risk["tier"].tolist()
    data = [
        {
            "type": "scatter",
            "x": dates,
            "y": scores,
            "mode": "lines",
            "line": {"color": "#555", "width": 1.5},
            "name": "Risk score",
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    for tier in palette.TIERS:
        rows = [i for i, t in enumerate(tiers) if t == tier]
        if not rows:
            continue
        data.append(
            {
                "type": "scatter",
                "x": [dates[i] for i in rows],
                "y": [scores[i] for i in rows],
                "mode": "markers",
                "name": palette.TIER_LABELS[tier],
                "showlegend": False,  # the bands are labelled on the chart
                "marker": {
                    "color": palette.TIER_COLORS[tier],
                    "symbol": palette.TIER_SYMBOLS[tier],
                    "size": 7,
                },
                "customdata": [hover[i] for i in rows],
                "hovertemplate": "%{y:.0f} "
                + palette.TIER_LABELS[tier]
                + "<br>%{customdata}<extra></extra>",
            }
        )
    day_dates = _iso(days["date"]) if not days.empty else []
    used_days = flags(days["used_reported"]).tolist() if not days.empty else []
    used = [d for d, flag in zip(day_dates, used_days, strict=True) if flag]
    if used:
        data.append(
            {
                "type": "scatter",
                "x": used,
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
    if "support_contact" in days and not days.empty:
        said = days["support_contact"]
        for label, answered, symbol in (
            ("Support contact", said.eq(True).tolist(), "circle"),
            ("No support contact", said.eq(False).tolist(), "circle-open"),
        ):
            part = [d for d, flag in zip(day_dates, answered, strict=True) if flag]
            if not part:
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": part,
                    "y": [SUPPORT_LANE] * len(part),
                    "mode": "markers",
                    "name": label,
                    "marker": {"symbol": symbol, "size": 7, "color": palette.SUPPORT},
                    "hovertemplate": label + "<extra></extra>",
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
    axes = stacked_rows([0.7, 0.3], gap=0.04)
    axes["yaxis"].update(title={"text": "Score"}, range=[0, top])
    axes["yaxis2"].update(
        type="category",
        categoryorder="array",
        categoryarray=list(STRIP_LANES),
        range=[-0.6, len(STRIP_LANES) - 0.4],
    )
    return figure(data, 340, shapes=shapes, annotations=labels, **axes)


@dataclass(frozen=True)
class Band:
    """A signal's stored baseline and the band one SD either side, on the days that have one:
    ``at`` are those days' positions in the frame it came from."""

    dates: list
    baseline: np.ndarray
    sd: np.ndarray
    at: np.ndarray

    @property
    def low(self) -> np.ndarray:
        return self.baseline - self.sd

    @property
    def high(self) -> np.ndarray:
        return self.baseline + self.sd

    def runs(self, ordinals: np.ndarray | None = None) -> list[slice]:
        """Consecutive days: a gap (no baseline yet, or not enrolled) splits the band, so a
        filled polygon never bridges days that have none. ``ordinals``: the whole frame's
        day numbers, when the caller has them already."""
        if not self.dates:
            return []
        if ordinals is None:
            ordinals = np.array([d.toordinal() for d in self.dates])
        else:
            ordinals = ordinals[self.at]
        cuts = np.flatnonzero(np.diff(ordinals) != 1) + 1
        edges = [0, *cuts.tolist(), len(self.dates)]
        return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def baseline_band(days: pd.DataFrame, signal: str, sd_floor: float | None) -> Band:
    """The stored baseline of ``signal`` and its SD, per day with both. The SD is the one the
    rule divides by (never below the rule's floor), so a day that reads "1.5 SD above own
    baseline" sits half an SD above the band's edge."""
    base = floats(days[f"{signal}_baseline"])
    sd = floats(days[f"{signal}_sd"])
    if sd_floor is not None:
        sd = np.maximum(sd, sd_floor)  # NaN stays NaN
    ok = ~(np.isnan(base) | np.isnan(sd))
    at = np.flatnonzero(ok)
    all_dates = days["date"].tolist()
    dates = [all_dates[i] for i in at.tolist()]
    if dates and type(dates[0]) is not dt.date:  # e.g. Timestamps from a test frame
        dates = [pd.Timestamp(d).date() for d in dates]
    return Band(dates=dates, baseline=base[ok], sd=sd[ok], at=at)


def signal_multiples(
    days: pd.DataFrame,
    sd_floors: dict[str, float] | None = None,
    baseline_days: int = 28,
    short_sleep_hours: float | None = 6.0,
) -> FigureSpec:
    """One small chart per signal against the client's own baseline as the risk engine
    stored it: the mean of the previous ``baseline_days`` days' answers (dotted) and a band of
    one SD either side. The sleep chart also draws the short-night line ("3 nights under
    6 h" in a reason is read against it)."""
    if days.empty or not np.isfinite(days[list(SIGNALS)].to_numpy(np.float64)).any():
        return empty_figure("No check-ins in this period.", 260)
    floors = sd_floors or {}
    dates = _iso(days["date"])  # once: each signal's band takes its days from these
    ordinals = np.array([d.toordinal() for d in days["date"].tolist()])
    data = []
    band_name = f"Own baseline ± 1 SD ({baseline_days}-day mean)"
    for row, signal in enumerate(SIGNALS, start=1):
        where = row_ref(row)
        band = baseline_band(days, signal, floors.get(signal))
        band_dates = [dates[i] for i in band.at.tolist()]
        for i, run in enumerate(band.runs(ordinals)):
            # One closed polygon per run: the upper edge forward, the lower edge back.
            run_dates = band_dates[run]
            data.append(
                {
                    "type": "scatter",
                    "x": run_dates + run_dates[::-1],
                    "y": band.high[run].tolist() + band.low[run][::-1].tolist(),
                    "mode": "lines",
                    "fill": "toself",
                    "fillcolor": palette.BASELINE_FILL,
                    "line": {"width": 0},
                    "name": band_name,
                    "showlegend": row == 1 and i == 0,
                    "legendgroup": "band",
                    "hoverinfo": "skip",
                    **where,
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": band_dates,
                "y": band.baseline.tolist(),
                "customdata": band.sd.round(1).tolist(),
                "mode": "lines",
                "line": {"color": palette.BASELINE_LINE, "dash": "dot", "width": 1},
                "name": "Own baseline",
                "showlegend": False,
                "legendgroup": "band",
                "hovertemplate": "baseline %{y:.1f} ± %{customdata:.1f}<extra></extra>",
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
    shapes, notes = [], []
    if short_sleep_hours is not None:
        ref = row_ref(SIGNALS.index("sleep_hours") + 1)
        shapes.append(
            {
                "type": "line",
                "xref": f"{ref['xaxis']} domain",
                "yref": ref["yaxis"],
                "x0": 0,
                "x1": 1,
                "y0": short_sleep_hours,
                "y1": short_sleep_hours,
                "line": {"color": palette.TIER_COLORS["high"], "width": 1, "dash": "dash"},
            }
        )
        notes.append(
            {
                "text": f"{short_sleep_hours:g} h: short night",
                "xref": f"{ref['xaxis']} domain",
                "yref": ref["yaxis"],
                "x": 1,
                "y": short_sleep_hours,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": palette.TIER_COLORS["high"]},
            }
        )
    axes["annotations"] = axes.get("annotations", []) + notes
    return figure(data, 620, shapes=shapes, **axes)


CALENDAR_STATES = {  # state -> (label, mark)
    0: ("not expected", ""),
    1: ("missed", "✕"),
    2: ("done", "✓"),
    3: ("due today, not in yet", "…"),
}


def calendar_states(days: pd.DataFrame, schedule: str | None = None) -> np.ndarray:
    """Each day's state from the engine's facts: done (a check-in came), missed (expected and
    settled as missed), pending (expected, not in, day not over when scored), else not
    expected. A weekly check-in already sent earlier in its week leaves the due day met."""
    received = flags(days["is_received"])
    expected = flags(days["is_expected"])
    missed = flags(days["is_missed"])
    open_ = expected & ~received & ~missed
    if schedule == "weekly":
        since = floats(days["days_since_checkin"])
        open_ &= ~(since <= 6)
    state = np.zeros(len(days), dtype=np.int64)
    state[missed] = 1
    state[open_] = 3
    state[received] = 2
    return state


def checkin_calendar(days: pd.DataFrame, schedule: str | None = None) -> FigureSpec:
    """Weeks across, weekdays down: done, missed, pending today, or not expected."""
    if days.empty:
        return empty_figure("No expected check-ins in this period.", 200)
    # Plain dates and lists: a year is 365 cells, cheaper than pandas' datetime machinery.
    dates = [as_date(v) for v in days["date"].tolist()]
    states = calendar_states(days, schedule).tolist()
    monday = week_starts(dates).tolist()
    weeks = sorted(set(monday))
    z = [[None] * len(weeks) for _ in range(7)]
    text = [[""] * len(weeks) for _ in range(7)]
    hover = [[""] * len(weeks) for _ in range(7)]
    col = {w: i for i, w in enumerate(weeks)}
    for date, week, state in zip(dates, monday, states, strict=True):
        label, mark = CALENDAR_STATES[int(state)]
        weekday, at = date.weekday(), col[week]
        z[weekday][at] = int(state)
        text[weekday][at] = mark
        hover[weekday][at] = (
            f"{DAY_NAMES[weekday]} {MONTH_NAMES[date.month - 1]} {date.day}: {label}"
        )
    heat = {
        "type": "heatmap",
        "z": z,
        "x": week_centres(weeks),
        "y": list(DAY_NAMES),
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 10, "color": "#ffffff"},
        "customdata": hover,
        "hovertemplate": "%{customdata}<extra></extra>",
        "zmin": 0,
        "zmax": 3,
        "xgap": 2,
        "ygap": 2,
        "showscale": False,
        "colorscale": [
            [0, palette.NOT_EXPECTED],
            [0.24, palette.NOT_EXPECTED],
            [0.25, palette.MISSED],
            [0.49, palette.MISSED],
            [0.5, palette.DONE],
            [0.74, palette.DONE],
            [0.75, palette.PENDING],
            [1, palette.PENDING],
        ],
    }
    return figure([heat], 230, yaxis={"autorange": "reversed"}, hovermode="closest")


def trigger_exposure(triggers: pd.DataFrame) -> FigureSpec:
    """Check-ins reporting each kind of cue, per week."""
    if triggers.empty:
        return empty_figure("No triggers reported in this period.", 220)
    reported = np.column_stack([flags(triggers[t]) for t in TRIGGERS]).astype(int)
    if not reported.any():
        return empty_figure("No triggers reported in this period.", 220)
    monday = week_starts(triggers["date"]).tolist()
    weeks = sorted(set(monday))
    col = {w: i for i, w in enumerate(weeks)}
    weekly = np.zeros((len(weeks), len(TRIGGERS)), dtype=int)
    np.add.at(weekly, [col[w] for w in monday], reported)
    x = week_centres(weeks)
    data = [
        {
            "type": "bar",
            "x": x,
            "width": WEEK_MS * 0.8,
            "y": weekly[:, i].tolist(),
            "name": trig.capitalize(),
            "marker": {"color": palette.TRIGGER_COLORS[trig]},
            "hovertemplate": "%{y} check-ins<extra>" + trig + "</extra>",
        }
        for i, trig in enumerate(TRIGGERS)
    ]
    return figure(data, 240, barmode="stack", yaxis={"title": {"text": "Check-ins"}})


def last_screen_text(panel: list[dict] | None) -> str:
    """Every substance of the last screen, positives first: "Nov 20: fentanyl positive,
    opioids negative"."""
    if not panel:
        return "none on file"
    ordered = sorted(panel, key=lambda r: (r["result"] != "positive", r["substance"]))
    results = ", ".join(f"{r['substance']} {r['result']}" for r in ordered)
    return f"{panel[0]['local_date']:%b %-d}: {results}"


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
                "by": r.by_name,
            }
        )
    return rows


def days_in_treatment(admission: dt.date, on: dt.date, discharge: dt.date | None) -> int:
    end = min(on, discharge) if discharge else on
    return max(0, (end - admission).days + 1)


def date_ticks(first: dt.date | None, last: dt.date | None) -> dict:
    """Ticks on Mondays, the left edge of each week column of the calendar and trigger rows:
    every week up to about three months, every four weeks beyond, so the dates stay readable."""
    if first is None or last is None:
        return {}
    monday = first - dt.timedelta(days=first.weekday())
    weeks = max(1, ((last - monday).days + 1) // 7)
    step = 1 if weeks <= 14 else 2 if weeks <= 28 else 4
    return {
        "type": "date",
        "tick0": monday.isoformat(),
        "dtick": WEEK_MS * step,
        "tickformat": "%b %-d",
        "ticklabelmode": "instant",
        "range": [
            (pd.Timestamp(monday) - pd.Timedelta(hours=12)).isoformat(),
            (pd.Timestamp(last) + pd.Timedelta(hours=36)).isoformat(),
        ],
    }


def client_charts(
    risk: pd.DataFrame,
    days: pd.DataFrame,
    screens: pd.DataFrame,
    triggers: pd.DataFrame,
    *,
    thresholds: dict[str, float] | None,
    schedule: str | None,
    sd_floors: dict[str, float] | None = None,
    baseline_days: int = 28,
    short_sleep_hours: float | None = 6.0,
) -> FigureSpec:
    """The client page's one figure: risk with use, screens and support contact, the check-in
    calendar, weekly triggers and the five signals, on one date axis. Parts with no data say so
    in their slot instead of vanishing, so the page keeps its shape."""
    from dashboard.figures.stack import Part, stack

    dates = [d for frame_ in (days, risk) if not frame_.empty for d in frame_["date"]]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    if first is not None and type(first) is not dt.date:
        first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    shown = {"showticklabels": True, "ticks": "outside", "ticklen": 3}
    parts = [
        Part(risk_trend(risk, thresholds, days, screens), 300, "Risk"),
        Part(checkin_calendar(days, schedule), 170, "Check-ins", axes={"xaxis": shown}),
        # Its own date labels, in the calendar's format: left to plotly's default they read
        # "12:00 / Oct 1, 2026" (the week columns' centres) and ran into the next title.
        Part(
            trigger_exposure(triggers),
            130,
            "Triggers (check-ins reporting each cue, per week)",
            axes={"xaxis": shown},
        ),
        Part(
            signal_multiples(days, sd_floors, baseline_days, short_sleep_hours),
            520,
            axes={"xaxis5": shown},
        ),
    ]
    spec = stack(parts)
    layout = spec["layout"]
    ticks = date_ticks(first, last)
    labels = {k: v for k, v in ticks.items() if k != "range"}
    for key in [k for k in layout if k.startswith("xaxis")]:
        layout[key].update(automargin=False)
        if key == "xaxis":
            layout[key].update(ticks, showticklabels=True)
        elif layout[key].get("showticklabels"):
            layout[key].update(labels)  # matched axes share the range, not the tick settings
    layout["autosize"] = True  # as wide as the page at draw time (plotly.js defaults to 700 px)
    for key in [k for k in layout if k.startswith("yaxis")]:
        layout[key].update(automargin=False)
    layout["hovermode"] = "closest"
    return spec

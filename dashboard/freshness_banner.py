"""The data-freshness line in every page's header, and the warning banner when a source is
late: staff must know when today's list rests on old check-ins. Filled by a callback (no data
in the layout) when the tab opens and, on a navigation, when the copy shown is older than
``MAX_AGE_SECONDS`` (decided in the browser: ``freshnessDue`` in ``assets/clientside.js``);
counselors and supervisors see their program, admins every program."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html
from flask import current_app

from dashboard.components.messages import plural
from dashboard.kit import SIGNED_IN, View, page_callback
from dashboard.read.freshness import ProgramFreshness, freshness
from etl.vocabulary import utcnow

MAX_AGE_SECONDS = 300  # loads arrive hours apart; a banner at most 5 minutes late is on time


def header() -> html.Div:
    """Above every page: the warning banner, when a source is late or its last file failed,
    and when the line was last asked for (browser time, in milliseconds)."""
    return html.Div(
        [
            html.Div(id="shell-freshness", className="small"),
            dcc.Store(id="shell-freshness-asked"),
            dcc.Store(id="shell-freshness-max-age", data=MAX_AGE_SECONDS * 1000),
        ]
    )


def navbar_line() -> html.Span:
    """In the navigation bar: how fresh the data is, on one line that costs the lists no
    height (the whole text on hover)."""
    return html.Span(
        id="shell-freshness-line",
        className="navbar-text small text-light text-truncate me-3 d-none d-xl-inline-block",
        style={"maxWidth": "min(26rem, 22vw)", "opacity": 0.8},
    )


def _age(hours: float) -> str:
    if hours < 1:
        return "under 1 h"
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def _summary(programs: list[ProgramFreshness], today: dt.date) -> str:
    if not programs:
        return ""
    # Check-ins first: they change daily and are what the lists rest on.
    kinds = sorted(programs[0].kinds, key=lambda k: k.kind != "checkins")
    loaded = [k for k in kinds if k.age_hours is not None][:2]
    parts = [f"{k.label} loaded {_age(k.age_hours)} ago" for k in loaded]
    ages = [p.scored_age_days(today) for p in programs if p.newest_scored_day]
    if ages:
        worst = max(ages)
        parts.append("scored through today" if worst <= 0 else f"scored {worst} d ago")
    return "Data: " + " · ".join(parts) if parts else "Data: nothing loaded yet"


def _warnings(programs: list[ProgramFreshness]) -> list[str]:
    if not programs:
        return []
    first = programs[0]  # the kinds' loads are the same for every program (loads are files)
    out = []
    for k in first.stale_kinds:
        when = f"last loaded {_age(k.age_hours)} ago" if k.age_hours is not None else "never loaded"
        out.append(
            f"{k.label.capitalize()} {when} (expected every {k.cadence_hours:.0f} h): "
            "recent submissions may be missing from these lists."
        )
    for k in first.troubled_kinds:
        if k.latest_status == "failed":
            out.append(f"The latest {k.label} file failed to load.")
        else:
            rows = plural(k.latest_rejected, "rejected row")
            out.append(f"The latest {k.label} file had {rows}.")
    return out


def register() -> None:
    """Register the callback for the app being built: Dash hands process-wide callbacks to
    one app only, so ``create_app`` calls this for each app, as Dash re-imports the pages."""
    dash.clientside_callback(
        ClientsideFunction("caseload", "freshnessDue"),
        Output("shell-freshness-asked", "data"),
        Input("_pages_location", "pathname"),
        State("shell-freshness-asked", "data"),
        State("shell-freshness-max-age", "data"),
    )
    page_callback(
        Output("shell-freshness-line", "children"),
        Output("shell-freshness-line", "title"),
        Output("shell-freshness", "children"),
        Input("shell-freshness-asked", "data"),
        permission=SIGNED_IN,
    )(show)


def show(view: View, _asked_at):
    programs = None if view.scope.role == "admin" else [view.scope.program_key]
    if programs == [None]:
        programs = []
    rows = freshness(
        view.conn,
        programs,
        now=utcnow(),
        cadence=current_app.config["CASELOAD_FRESHNESS_HOURS"],
    )
    line = _summary(rows, view.today)
    warnings = _warnings(rows)
    if not warnings:
        return line, line, None
    banner = dbc.Alert(
        [html.I(className="bi bi-exclamation-triangle-fill me-2"), *_join(warnings)],
        color="warning",
        id="shell-freshness-banner",
        className="py-2 mb-2",
    )
    return line, line, banner


def _join(messages: list[str]) -> list:
    out: list = []
    for i, m in enumerate(messages):
        out.extend([html.Br()] if i else [])
        out.append(m)
    return out

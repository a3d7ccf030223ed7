"""Missed check-ins: who missed, on what streak, adherence over 7 and 28 days, the caseload's
28-day calendar and the weekly trend (a supervisor also sees each counselor and the program).

Written on the callback kit (``dashboard/kit.py``): one data callback reads the caseload
through ``dashboard/read/caseload.py``, the pure functions in ``dashboard/missed.py`` count,
``dashboard/figures/caseload.py`` draws. Today's pending check-ins are never missed.
"""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import missed as m
from dashboard.auth.permissions import VIEW_CASELOAD
from dashboard.components import grid
from dashboard.components.asof import ASOF_CLASS, scored_line
from dashboard.components.cards import summary_card
from dashboard.components.contact import contact_callbacks, contact_dialog
from dashboard.components.links import client_href
from dashboard.components.panel import page_title, panel
from dashboard.components.picker import picker_callback
from dashboard.context import user_time_zone
from dashboard.figures import caseload as figs
from dashboard.kit import View, page_callback, register_page
from dashboard.read import caseload as read_caseload
from dashboard.read import today as read_today
from dashboard.read.frames import frame_rows
from dashboard.triage import missed_yesterday

register_page(
    __name__,
    path="/missed",
    name="Missed check-ins",
    title="Missed check-ins · Caseload",
    order=1,
    permission=VIEW_CASELOAD,
)

CARDS = (
    ("yesterday", "Missed yesterday", "bi-calendar-x", "card-missed"),
    ("streak2", "Streak 2+ days", "bi-calendar2-minus", "card-missed"),
    ("streak3", "Streak 3+ days", "bi-calendar2-x", "card-high"),
    ("streak7", "Streak 7+ days", "bi-exclamation-octagon", "card-high"),
    ("adh7", "Adherence 7 d", "bi-check2-circle", "card-due"),
    ("adh28", "Adherence 28 d", "bi-check2-all", "card-due"),
)
ROW_HEIGHT = grid.GRID_OPTIONS["rowHeight"]
PHONE_ROW_HEIGHT = 84


def phone_height(rows: int) -> dict:
    """The phone's card list as tall as its cards, at most 60% of the screen (then it
    scrolls), so a short caseload leaves no tall empty box below its cards."""
    return grid.fitted_height(rows, PHONE_ROW_HEIGHT, chrome="40vh", header=4)


SCHEDULES = {"daily": "Daily", "weekdays": "Weekdays", "weekly": "Weekly"}
COLUMNS = [
    grid.client_column(),
    grid.number_column(
        "missed_streak", "Streak", 84, headerTooltip="Expected check-ins missed in a row"
    ),
    grid.date_column("last_checkin", "Last check-in"),
    grid.number_column("missed_28d", "Missed 28 d", 100),
    grid.number_column(
        "adh7", "7 d %", 76, headerTooltip="Expected check-ins received, last 7 days"
    ),
    grid.number_column(
        "adh28", "28 d %", 80, headerTooltip="Expected check-ins received, last 28 days"
    ),
    {"field": "schedule", "headerName": "Schedule", "width": 104},
    {**grid.tier_column(), "flex": 1, "minWidth": 116},
    {
        "field": "actions",
        "headerName": "",
        "width": 60,
        "cellRenderer": "ContactAction",
        "sortable": False,
        "pinned": "right",
    },
]


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [
            page_title("missed", "Missed check-ins", ASOF_CLASS[False]),
            dbc.Row(
                [summary_card("missed", *c, xs=4, md=4, xl=2) for c in CARDS],
                className="g-2 mb-3",
            ),
            html.Div(id="missed-empty"),
            dag.AgGrid(
                id="missed-grid",
                columnDefs=COLUMNS,
                defaultColDef=grid.DEFAULT_COL_DEF,
                rowData=[],
                getRowId="params.data.client_id",
                dashGridOptions=grid.GRID_OPTIONS,
                className="ag-theme-quartz caseload-grid d-none d-md-block",
                style={"height": "calc(100vh - 330px)", "minHeight": "300px"},
            ),
            # On a phone the same rows as cards, each with the contact button.
            html.Div(
                grid.phone_grid(
                    "missed-phone-grid",
                    "MissedPhoneCard",
                    PHONE_ROW_HEIGHT,
                    phone_height(0),
                ),
                className="d-md-none",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(
                            "Last 28 days",
                            html.Div(
                                dcc.Graph(
                                    id="missed-heatmap",
                                    config={"displayModeBar": False, "responsive": True},
                                ),
                                className="heatmap-scroll",
                            ),
                            "worst first · blue received · orange missed · "
                            "slate due today, not in yet · grey not expected",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        panel(
                            "Adherence per week",
                            dcc.Graph(
                                id="missed-trend",
                                config={"displayModeBar": False, "responsive": True},
                            ),
                            "expected check-ins received, weeks ending on the scored day",
                        ),
                        lg=5,
                    ),
                ],
                className="mt-3",
            ),
            dcc.Location(id="missed-nav", refresh="callback-nav"),
            dcc.Store(id="missed-refresh", data=0),
            contact_dialog("missed"),
            contact_dialog("missed-phone"),
            dbc.Toast(
                id="missed-toast",
                is_open=False,
                duration=4000,
                dismissable=True,
                className="position-fixed bottom-0 end-0 m-3",
                header="Caseload",
            ),
        ],
        id="missed-page",
    )


picker_callback("missed", "missed-page")
contact_callbacks("missed", "missed-grid", "missed-refresh", "missed-toast")
contact_callbacks("missed-phone", "missed-phone-grid", "missed-refresh", "missed-toast")


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _change(value, days: int) -> str:
    if value is None:
        return f"no change known (previous {days} days)"
    points = round(100 * value)
    sign = "+" if points > 0 else ""
    return f"{sign}{points} points on the previous {days} days"


def _concat(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)


RANKED_COLUMNS = [
    "client_key",
    "client_id",
    "name",
    "missed_streak",
    "missed_28d",
    "adherence_7d",
    "adherence_28d",
    "checkin_schedule",
    "tier",
    "last_checkin",
]


def _rows(ranked, today: dt.date) -> list[dict]:
    return [
        {
            "client_id": r["client_id"],
            "name": r["name"],
            "missed_streak": int(r["missed_streak"]),
            "missed_28d": int(r["missed_28d"]),
            **grid.date_cells("last_checkin", r["last_checkin"], today),
            "adh7": grid.percent(r["adherence_7d"]),
            "adh28": grid.percent(r["adherence_28d"]),
            "schedule": SCHEDULES.get(r["checkin_schedule"], r["checkin_schedule"]),
            **grid.tier_cells(r["tier"]),
        }
        for r in frame_rows(ranked, RANKED_COLUMNS)
    ]


def _nothing(message) -> tuple:
    empty = figs.empty_figure("No caseload to show.")
    n = len(CARDS)
    alert = dbc.Alert(message, color="light", className="empty-state border")
    style = grid.fitted_height(0, ROW_HEIGHT)
    return (
        "",
        ASOF_CLASS[False],
        alert,
        [],
        style,
        [],
        phone_height(0),
        empty,
        empty,
        *["–"] * n,
        *[""] * n,
    )


@page_callback(
    Output("missed-asof", "children"),
    Output("missed-asof", "className"),
    Output("missed-empty", "children"),
    Output("missed-grid", "rowData"),
    Output("missed-grid", "style"),
    Output("missed-phone-grid", "rowData"),
    Output("missed-phone-grid", "style"),
    Output("missed-heatmap", "figure"),
    Output("missed-trend", "figure"),
    *[Output(f"missed-card-{k}", "children") for k, *_ in CARDS],
    *[Output(f"missed-card-{k}-sub", "children") for k, *_ in CARDS],
    Input("missed-counselor", "value"),
    Input("missed-refresh", "data"),
    permission=VIEW_CASELOAD,
)
def load_missed(view: View, counselor_key, _refresh):
    """The caseload's check-ins. ``counselor_key`` is a request: checked before any read."""
    if counselor_key is None:
        raise PreventUpdate
    if view.counselor(counselor_key) is None:
        return _nothing("No caseload to show.")
    conn, scope, today = view.conn, view.scope, view.today
    as_of = read_today.caseload_as_of(conn, scope, counselor_key, today)
    if as_of is None:
        return _nothing("No risk scores for this caseload yet: load the program's files first.")
    program = read_today.counselor_program(conn, scope, counselor_key) or {}
    clients = read_caseload.clients(conn, scope, counselor_key, as_of, last_checkin=True)
    keys = [int(k) for k in clients["client_key"]]
    first = as_of - dt.timedelta(days=7 * m.TREND_WEEKS - 1)
    heat_first = as_of - dt.timedelta(days=m.HEAT_DAYS - 1)
    days = read_caseload.days(conn, scope, counselor_key, as_of, keys, heat_first, "checkins")
    daily = read_caseload.adherence_by_day(conn, scope, first, as_of, counselor_key)
    program_days = read_caseload.adherence_by_day(conn, scope, first, as_of)
    staff = read_today.counselors(conn, scope) if scope.sees_program else None
    view.audit_view(
        "missed_checkins",
        route="/missed",
        client_keys=keys,
        detail={"counselor_key": counselor_key, "as_of": as_of.isoformat()},
    )

    time_zone = program.get("time_zone") or user_time_zone()
    scored = scored_line(clients, as_of, today, time_zone)
    schedules = dict(
        zip(clients["client_key"].astype(int), clients["checkin_schedule"], strict=True)
    )
    states = m.with_states(days, schedules)
    ranked = m.rank_missed(clients, states, as_of)
    yesterday = today - dt.timedelta(days=1)
    missed_day = missed_yesterday(
        days.loc[days["date"] == yesterday, "is_missed"].tolist() if not days.empty else [],
        today=today,
        as_of=as_of,
        scored_at=scored.scored_at,
    )
    streaks = m.streak_counts(clients)
    adherence = m.adherence_cards(daily, as_of)
    rows = _rows(ranked, today)

    dates, heat = m.heat_map(states, [int(k) for k in ranked["client_key"]], as_of)
    heat_fig = figs.heat_map(list(ranked["name"]), list(ranked["client_id"]), dates, heat)

    trend = m.weekly_trend(daily, as_of).assign(group="caseload")
    titles = {"caseload": "this caseload", "program": "program"}
    if staff is not None and not program_days.empty:
        per = program_days.rename(columns={"counselor_key": "group"})
        per["group"] = per["group"].astype(int).astype(str)
        whole = program_days.groupby("date", as_index=False)[["met", "missed"]].sum()
        trend = _concat(
            m.weekly_trend(per, as_of), m.weekly_trend(whole.assign(group="program"), as_of)
        )
        titles.update(
            {str(int(r.staff_key)): f"{r.first_name} {r.last_name}" for r in staff.itertuples()}
        )
    trend_fig = figs.adherence_trend(trend, titles)

    empty = (
        None
        if rows
        else dbc.Alert("No active clients on this caseload.", color="light", className="border")
    )
    counts = {
        "yesterday": "–" if missed_day.count is None else str(missed_day.count),
        "streak2": str(streaks[2]),
        "streak3": str(streaks[3]),
        "streak7": str(streaks[7]),
        "adh7": _pct(adherence[7][0]),
        "adh28": _pct(adherence[28][0]),
    }
    subs = {
        "yesterday": missed_day.note,
        "streak2": "missed 2 or more in a row",
        "streak3": "missed 3 or more in a row",
        "streak7": "missed 7 or more in a row",
        "adh7": _change(adherence[7][1], 7),
        "adh28": _change(adherence[28][1], 28),
    }
    return (
        scored.text,
        scored.css,
        empty,
        rows,
        grid.fitted_height(len(rows), ROW_HEIGHT),
        rows,
        phone_height(len(rows)),
        heat_fig,
        trend_fig,
        *[counts[k] for k, *_ in CARDS],
        *[subs[k] for k, *_ in CARDS],
    )


@page_callback(
    Output("missed-nav", "href"),
    Input("missed-heatmap", "clickData"),
    prevent_initial_call=True,
    permission=VIEW_CASELOAD,
)
def open_from_heatmap(_view: View, click):
    """A click on a client's row opens their page (which checks the id again)."""
    try:
        href = client_href(click["points"][0]["y"])
    except (TypeError, KeyError, IndexError):
        raise PreventUpdate from None
    if href is None:
        raise PreventUpdate
    return href

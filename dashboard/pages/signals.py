"""Sleep & stress: who has a sleep deficit or a stress spike (the risk engine's verdict and
words), one picture of both signals across the caseload, their distributions and weekly trend.

On the callback kit (``dashboard/kit.py``). The thresholds quoted on the page are the
program's configured ones (``dashboard/risk_settings.py``, the settings the engine scores
with); none is written here.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import signals as sig
from dashboard.auth.permissions import VIEW_CASELOAD
from dashboard.components import grid
from dashboard.components.asof import ASOF_CLASS, scored_line
from dashboard.components.links import client_href
from dashboard.components.panel import page_title, panel
from dashboard.components.picker import picker_callback
from dashboard.context import user_time_zone
from dashboard.figures import caseload as figs
from dashboard.kit import View, page_callback, register_page
from dashboard.read import caseload as read_caseload
from dashboard.read import today as read_today
from dashboard.read.frames import frame_rows
from dashboard.risk_settings import RiskSettings, program_settings
from dashboard.triage import number

register_page(
    __name__,
    path="/signals",
    name="Sleep & stress",
    title="Sleep & stress · Caseload",
    order=2,
    permission=VIEW_CASELOAD,
)

TREND_WEEKS = 12
ROW_HEIGHT = 52  # two lines of the engine's words
COLUMNS = [
    grid.client_column(),
    grid.tier_column(),
    {
        "field": "sleep_text",
        "headerName": "Sleep",
        "flex": 1,
        "minWidth": 200,
        "tooltipField": "sleep_text",
        "cellClass": "signals-reason",
        "sortable": False,
    },
    {
        "field": "stress_text",
        "headerName": "Stress",
        "flex": 1,
        "minWidth": 200,
        "tooltipField": "stress_text",
        "cellClass": "signals-reason",
        "sortable": False,
    },
    grid.number_column("short_nights", "Short nights", 104, headerTooltip="Of the last 7"),
    grid.number_column("stress", "Stress", 80, headerTooltip="Latest answer, 0-10"),
    grid.text_column(
        "stress_z", "SD vs usual", 104, headerTooltip="Latest stress vs own baseline, in SD"
    ),
]
GRAPH = {"displayModeBar": False, "responsive": True}


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [
            page_title("signals", "Sleep & stress", ASOF_CLASS[False], margin="mb-1"),
            html.Div(id="signals-rules", className="small text-muted mb-2"),
            html.Div(id="signals-empty"),
            dag.AgGrid(
                id="signals-grid",
                columnDefs=COLUMNS,
                defaultColDef=grid.DEFAULT_COL_DEF,
                rowData=[],
                getRowId="params.data.client_id",
                dashGridOptions={**grid.GRID_OPTIONS, "rowHeight": ROW_HEIGHT},
                className="ag-theme-quartz caseload-grid d-none d-md-block",
                style={"height": "min(calc(100vh - 260px), 520px)", "minHeight": "260px"},
            ),
            html.Div(id="signals-list", className="d-md-none phone-list"),
            dbc.Row(
                [
                    dbc.Col(
                        panel(
                            "Sleep against stress",
                            dcc.Graph(id="signals-scatter", config=GRAPH),
                            "one mark per client · colour and shape: tier · click to open",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        [
                            panel(
                                "Distributions, last 7 days",
                                dbc.Row(
                                    [
                                        dbc.Col(
                                            dcc.Graph(id="signals-dist-sleep", config=GRAPH), md=6
                                        ),
                                        dbc.Col(
                                            dcc.Graph(id="signals-dist-stress", config=GRAPH), md=6
                                        ),
                                    ],
                                    className="g-1",
                                ),
                                "each client's mean",
                            ),
                        ],
                        lg=6,
                    ),
                ],
                className="mt-3",
            ),
            panel(
                "Weekly trend",
                dcc.Graph(id="signals-trend", config=GRAPH),
                "mean of the answers per week, weeks ending on the scored day",
            ),
            dcc.Location(id="signals-nav", refresh="callback-nav"),
        ],
        id="signals-page",
    )


picker_callback("signals", "signals-page")


def rules_text(settings: RiskSettings) -> str:
    """The program's thresholds, in the rules' words (docs/risk-rules.md)."""
    s, t = settings.sleep, settings.stress
    return (
        f"The program's rules: a short night is under {s['short_hours']:g} h, flagged from "
        f"{s['short_nights']:g} of the last 7; poor sleep quality is {s['poor_quality']:g} of 5 "
        f"or less, flagged from {s['poor_quality_nights']:g} nights; stress is flagged from "
        f"{t['level']:g}/10, or when it is well above what is usual for the client "
        f"({t['z']:g} times their usual day-to-day swing)."
    )


TABLE_COLUMNS = [
    "client_id",
    "name",
    "tier",
    "sleep_text",
    "stress_text",
    "short_nights",
    "stress",
    "stress_z",
]


def _rows(table) -> list[dict]:
    return [
        {
            "client_id": r["client_id"],
            "name": r["name"],
            **grid.tier_cells(r["tier"]),
            "sleep_text": r["sleep_text"] or "–",
            "stress_text": r["stress_text"] or "–",
            "short_nights": int(r["short_nights"]),
            "stress": number(r["stress"], 0),
            "stress_z": (z := number(r["stress_z"], 1)),
            "stress_z_text": "–" if z is None else f"{z:+.1f}" if z else "0.0",
        }
        for r in frame_rows(table, TABLE_COLUMNS)
    ]


def _phone_list(rows: list[dict]) -> list:
    return [
        html.Div(
            [
                dcc.Link(r["name"], href=f"/client/{quote(r['client_id'], safe='')}"),
                html.Span(f" · {r['tier']}", className="text-muted"),
                *[
                    html.Div(text, className="small")
                    for text in (r["sleep_text"], r["stress_text"])
                    if text and text != "–"
                ],
            ],
            className="phone-row",
        )
        for r in rows
    ]


def _nothing(message: str) -> tuple:
    empty = figs.empty_figure("No caseload to show.")
    alert = dbc.Alert(message, color="light", className="empty-state border")
    style = grid.fitted_height(0, ROW_HEIGHT, "260px")
    return ("", ASOF_CLASS[False], "", alert, [], style, [], empty, empty, empty, empty)


@page_callback(
    Output("signals-asof", "children"),
    Output("signals-asof", "className"),
    Output("signals-rules", "children"),
    Output("signals-empty", "children"),
    Output("signals-grid", "rowData"),
    Output("signals-grid", "style"),
    Output("signals-list", "children"),
    Output("signals-scatter", "figure"),
    Output("signals-dist-sleep", "figure"),
    Output("signals-dist-stress", "figure"),
    Output("signals-trend", "figure"),
    Input("signals-counselor", "value"),
    permission=VIEW_CASELOAD,
)
def load_signals(view: View, counselor_key):
    """The caseload's sleep and stress. ``counselor_key`` is checked before any read."""
    if counselor_key is None:
        raise PreventUpdate
    if view.counselor(counselor_key) is None:
        return _nothing("No caseload to show.")
    conn, scope, today = view.conn, view.scope, view.today
    as_of = read_today.caseload_as_of(conn, scope, counselor_key, today)
    if as_of is None:
        return _nothing("No risk scores for this caseload yet: load the program's files first.")
    program = read_today.counselor_program(conn, scope, counselor_key) or {}
    settings = program_settings(program.get("program_id"))
    if settings is None:
        return _nothing("The program's risk settings do not load: see caseload risk-config.")
    clients = read_caseload.clients(conn, scope, counselor_key, as_of)
    keys = [int(k) for k in clients["client_key"]]
    first = as_of - dt.timedelta(days=7 * TREND_WEEKS - 1)
    week = as_of - dt.timedelta(days=sig.WINDOW - 1)
    days = read_caseload.days(conn, scope, counselor_key, as_of, keys, week, "signals")
    daily = read_caseload.signals_by_day(conn, scope, first, as_of, counselor_key)
    program_days = read_caseload.signals_by_day(conn, scope, first, as_of)
    view.audit_view(
        "sleep_stress",
        route="/signals",
        client_keys=keys,
        detail={"counselor_key": counselor_key, "as_of": as_of.isoformat()},
    )

    time_zone = program.get("time_zone") or user_time_zone()
    scored = scored_line(clients, as_of, today, time_zone)
    table = sig.per_client(clients, days, settings, as_of)
    ranked = sig.ranked(table)
    rows = _rows(ranked)
    short_hours = settings.sleep["short_hours"]
    trend = {"caseload": sig.weekly_means(daily, as_of, TREND_WEEKS)}
    if not program_days.empty:
        trend["program"] = sig.weekly_means(program_days, as_of, TREND_WEEKS)
    # A supervisor's distributions are the program's; a counselor's, their caseload's.
    spread, whose = table, ""
    if scope.sees_program:
        spread = read_caseload.program_client_means(conn, scope, week, as_of)
        whose = f", whole program ({len(spread)} clients)"
    empty = (
        None
        if rows
        else dbc.Alert(
            "Nobody on this caseload is flagged for sleep or stress on the scored day.",
            color="light",
            className="border",
        )
    )
    return (
        scored.text,
        scored.css,
        rules_text(settings),
        empty,
        rows,
        grid.fitted_height(len(rows), ROW_HEIGHT, "260px"),
        _phone_list(rows),
        figs.signals_scatter(table, short_hours),
        figs.distribution(list(spread["mean_sleep"]), f"Hours slept{whose}", short_hours, "h"),
        figs.distribution(
            list(spread["mean_stress"]), f"Stress (0-10){whose}", settings.stress["level"], "/10"
        ),
        figs.signal_trend(trend),
    )


@page_callback(
    Output("signals-nav", "href"),
    Input("signals-scatter", "clickData"),
    prevent_initial_call=True,
    permission=VIEW_CASELOAD,
)
def open_from_scatter(_view: View, click):
    """A click on a client's mark opens their page (which checks the id again)."""
    try:
        href = client_href(click["points"][0]["customdata"])
    except (TypeError, KeyError, IndexError):
        raise PreventUpdate from None
    if href is None:
        raise PreventUpdate
    return href

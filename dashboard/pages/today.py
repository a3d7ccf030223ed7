"""Today: the counselor's morning triage (and a supervisor's view of any of their counselors).

Callbacks stay thin (through ``dashboard.kit``): read through the scoped read model, rank
with the pure triage functions, format with the grid builder. The counselor key a supervisor
picks is a request, re-checked against the scope before anything is read.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth.permissions import LOG_FOLLOWUP, VIEW_CASELOAD
from dashboard.commands import AccessDenied, InvalidInput, lift_snooze, snooze_client
from dashboard.components import grid
from dashboard.components.contact import contact_callbacks, contact_dialog
from dashboard.context import user_time_zone
from dashboard.figures.today_grid import (
    COLUMN_DEFS,
    DEFAULT_COL_DEF,
    filter_ranked,
    grid_rows,
)
from dashboard.kit import View, page_callback, register_page
from dashboard.read import today as read_today
from dashboard.risk_settings import program_settings
from dashboard.triage import (
    as_of_status,
    card_counts,
    local_time,
    missed_yesterday,
    rank_caseload,
)

register_page(
    __name__, path="/", name="Today", title="Today · Caseload", order=0, permission=VIEW_CASELOAD
)

ASOF_CLASS = {False: "text-muted small", True: "small text-warning-emphasis fw-semibold"}
CARDS = (
    ("high", "High or critical", "bi-exclamation-triangle-fill", "card-high"),
    ("newly_high", "Newly high", "bi-arrow-up-right-circle-fill", "card-new"),
    ("missed", "Missed yesterday", "bi-calendar-x", "card-missed"),
    ("due", "Follow-ups due", "bi-telephone-outbound", "card-due"),
    ("discordant", "Screen vs. check-ins", "bi-chat-square-text", "card-discordant"),
)


def _card(key: str, title: str, icon: str, css: str) -> dbc.Col:
    """A summary card that is also a filter: a click shows only its clients."""
    return dbc.Col(
        html.Div(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [html.I(className=f"bi {icon} me-2", **{"aria-hidden": "true"}), title],
                            className="card-title-small",
                        ),
                        html.Div("–", id=f"today-card-{key}", className="card-count"),
                        html.Div("", id=f"today-card-{key}-sub", className="card-sub"),
                    ]
                ),
                className=f"summary-card {css}",
            ),
            id=f"today-filter-{key}",
            n_clicks=0,
            role="button",
            tabIndex="0",
            title=f"Show only: {title.lower()}",
            className="card-filter",
        ),
        xs=4,
        lg=True,
    )


def _snooze_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Snooze", id="today-snooze-title")),
            dbc.ModalBody(
                [
                    dbc.Label("Hold this flag until", html_for="today-snooze-until"),
                    dcc.DatePickerSingle(
                        id="today-snooze-until",
                        className="d-block mb-3",
                        display_format="MMM D, YYYY",
                    ),
                    dbc.Label("Reason (required)", html_for="today-snooze-reason"),
                    dbc.Input(
                        id="today-snooze-reason",
                        maxLength=200,
                        placeholder="e.g. seen in group today",
                    ),
                    html.P(
                        "A high or critical flag is held until tomorrow at most until a contact "
                        "attempt is logged.",
                        className="small text-muted mt-2 mb-0",
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id="today-snooze-cancel", color="secondary", outline=True),
                    dbc.Button("Snooze", id="today-snooze-save", color="primary"),
                ]
            ),
        ],
        id="today-snooze-modal",
        is_open=False,
    )


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H1("Today", className="mb-0"),
                            html.Div(id="today-asof", className=ASOF_CLASS[False]),
                        ],
                        width="auto",
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(
                                    "Caseload of",
                                    html_for="today-counselor",
                                    className="me-2 mb-0 small",
                                ),
                                dcc.Dropdown(
                                    id="today-counselor",
                                    clearable=False,
                                    className="counselor-picker",
                                ),
                            ],
                            id="today-counselor-wrap",
                            className="d-none align-items-center",
                        ),
                        className="ms-auto",
                        width="auto",
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                html.Span(id="today-filter-note", className="small me-1"),
                                dbc.Button(
                                    "Show all",
                                    id="today-filter-clear",
                                    size="sm",
                                    color="link",
                                    className="me-2 d-none",
                                ),
                                dbc.Input(
                                    id="today-search",
                                    type="search",
                                    placeholder="Find a client by name",
                                    debounce=0.3,
                                    size="sm",
                                    className="today-search",
                                    autoComplete="off",
                                ),
                            ],
                            className="d-flex align-items-center today-tools",
                        ),
                        width="auto",
                    ),
                ],
                className="align-items-center mb-2 g-2 today-head",
            ),
            dbc.Row([_card(*c) for c in CARDS], className="g-2 mb-2 today-cards"),
            dcc.Store(id="today-filter"),
            html.Div(id="today-empty"),
            html.Div(
                dcc.Loading(
                    dag.AgGrid(
                        id="today-grid",
                        columnDefs=COLUMN_DEFS,
                        defaultColDef=DEFAULT_COL_DEF,
                        rowData=[],
                        getRowId="params.data.client_id",
                        dashGridOptions={**grid.GRID_OPTIONS, "rowHeight": 40},
                        className="ag-theme-quartz today-grid",
                        # The window's height less the bar, title, cards and search above it.
                        style={"height": "calc(100vh - 246px)", "minHeight": "300px"},
                    ),
                    delay_show=250,
                    type="default",
                ),
                className="today-desktop",
            ),
            dcc.Store(id="today-refresh", data=0),
            dcc.Store(id="today-target"),
            # On a phone the same rows as a list of cards, with the same two buttons.
            html.Div(
                grid.phone_grid(
                    "today-phone-grid",
                    "PhoneCard",
                    100,
                    {"height": "calc(100vh - 300px)", "minHeight": "420px"},
                ),
                className="today-phone-list",
            ),
            contact_dialog("today"),
            contact_dialog("today-phone"),
            _snooze_modal(),
            dbc.Toast(
                id="today-toast",
                is_open=False,
                duration=4000,
                dismissable=True,
                className="position-fixed bottom-0 end-0 m-3",
                header="Caseload",
            ),
        ],
        id="today-page",
    )


@page_callback(
    Output("today-counselor", "options"),
    Output("today-counselor", "value"),
    Output("today-counselor-wrap", "className"),
    Input("today-page", "id"),
    permission=VIEW_CASELOAD,
)
def fill_counselor_picker(view: View, _page_id):
    """A supervisor picks among their program's counselors; a counselor sees only their own."""
    scope = view.scope
    staff = read_today.counselors(view.conn, scope)
    default = read_today.default_counselor(view.conn, scope)
    options = [
        {"label": f"{r.first_name} {r.last_name}", "value": int(r.staff_key)}
        for r in staff.itertuples(index=False)
    ]
    visible = "d-flex align-items-center" if scope.sees_program else "d-none"
    return options, default, visible


def _bump(refresh) -> int:
    """The next value of the reload counter (the browser's copy may be anything)."""
    return refresh + 1 if type(refresh) is int and 0 <= refresh < 2**31 else 1


def _empty_state(message: list) -> dbc.Alert:
    return dbc.Alert(message, color="light", className="empty-state border")


FILTER_WORDS = {
    "high": "high or critical",
    "newly_high": "newly high",
    "missed": "missed yesterday",
    "due": "follow-ups due",
    "discordant": "a positive screen after “no use” check-ins",
}


@page_callback(
    Output("today-filter", "data"),
    *[Input(f"today-filter-{k}", "n_clicks") for k, *_ in CARDS],
    Input("today-filter-clear", "n_clicks"),
    prevent_initial_call=True,
    permission=VIEW_CASELOAD,
)
def pick_filter(_view: View, *_clicks):
    """A card's click filters the list to its clients; "Show all" (or the same card) clears."""
    clicked = dash.ctx.triggered_id
    if not isinstance(clicked, str) or clicked == "today-filter-clear":
        return None
    key = clicked.removeprefix("today-filter-")
    return key if key in FILTER_WORDS else None


@page_callback(
    Output("today-grid", "rowData"),
    Output("today-phone-grid", "rowData"),
    Output("today-filter-note", "children"),
    Output("today-filter-clear", "className"),
    Output("today-asof", "children"),
    Output("today-asof", "className"),
    Output("today-empty", "children"),
    *[Output(f"today-card-{k}", "children") for k, *_ in CARDS],
    *[Output(f"today-card-{k}-sub", "children") for k, *_ in CARDS],
    Output("shell-today-order", "data"),
    Input("today-counselor", "value"),
    Input("today-refresh", "data"),
    Input("today-filter", "data"),
    Input("today-search", "value"),
    permission=VIEW_CASELOAD,
)
def load_today(view: View, counselor_key, _refresh, shown=None, search=None):
    """The ranked caseload. ``counselor_key`` comes from the browser: it is checked first."""
    n_cards = len(CARDS)
    if counselor_key is None:
        raise PreventUpdate
    scope, today, conn = view.scope, view.today, view.conn
    if view.counselor(counselor_key) is None:
        empty = _empty_state("No caseload to show.")
        return (
            [],
            [],
            "",
            "me-2 d-none",
            "",
            ASOF_CLASS[False],
            empty,
            *["–"] * n_cards,
            *[""] * n_cards,
            [],
        )
    as_of = read_today.caseload_as_of(conn, scope, counselor_key, today)
    if as_of is None:
        msg = _empty_state(
            [
                html.Strong("No risk scores for this caseload yet. "),
                "Load the program's files with ",
                html.Code("caseload ingest FILES"),
                " (check-ins are scored as they load), then reload this page.",
            ]
        )
        return (
            [],
            [],
            "",
            "me-2 d-none",
            "",
            ASOF_CLASS[False],
            msg,
            *["0"] * n_cards,
            *[""] * n_cards,
            [],
        )
    program = read_today.counselor_program(conn, scope, counselor_key) or {}
    rows = read_today.caseload_rows(conn, scope, counselor_key, as_of, today - dt.timedelta(days=1))
    yesterday = read_today.yesterday_missed(rows)
    history = read_today.score_history(
        conn, scope, counselor_key, as_of, [int(r["client_key"]) for r in rows]
    )
    followups = read_today.recent_followups(conn, scope, counselor_key, as_of)
    snoozes = read_today.active_snoozes(conn, scope, counselor_key, as_of, today)
    time_zone = program.get("time_zone") or user_time_zone()
    ranked = rank_caseload(
        rows, history, followups, snoozes, as_of=as_of, today=today, time_zone=time_zone
    )
    shown = shown if isinstance(shown, str) and shown in FILTER_WORDS else None
    search = search.strip()[:64] if isinstance(search, str) else ""
    missed_keys = {k for k, missed in yesterday.items() if missed}
    listed = filter_ranked(ranked, shown, search, missed_keys)
    view.audit_view(
        "caseload",
        route="/",
        client_keys=[r["client_key"] for r in listed],
        detail={"counselor_key": counselor_key, "as_of": as_of.isoformat()},
    )
    computed = [r["computed_at"] for r in rows if r["computed_at"] is not None]
    scored_at = local_time(max(computed), time_zone) if computed else None
    received_today = sum(1 for r in rows if r["is_received"]) if as_of == today else 0
    status, stale = as_of_status(as_of, today, scored_at, received_today)
    missed = missed_yesterday(
        list(yesterday.values()), today=today, as_of=as_of, scored_at=scored_at
    )
    counts = card_counts(ranked, missed)
    empty = (
        None
        if ranked
        else _empty_state(
            "No active clients on this caseload. New admissions appear after the next roster load."
        )
    )
    subs = {
        "high": "tier high or critical",
        "newly_high": "high now, not yesterday",
        "missed": missed.note,
        "due": "high or critical, not yet contacted",
        "discordant": "positive screen after “no use”",
    }
    settings = program_settings(program.get("program_id"))
    high_from = settings.thresholds["high"] if settings else None
    rows_out = grid_rows(listed, today, high_from=high_from)
    note, clear = "", "me-2 d-none"
    if shown or search:
        what = " · ".join(
            p for p in (FILTER_WORDS.get(shown or ""), f"“{search}”" if search else "") if p
        )
        note = f"Showing {len(listed)} of {len(ranked)}: {what}"
        clear = "me-2" if shown else "me-2 d-none"
    return (
        rows_out,
        rows_out,
        note,
        clear,
        status,
        ASOF_CLASS[stale],
        empty,
        *["–" if counts[k] is None else str(counts[k]) for k, *_ in CARDS],
        *[subs[k] for k, *_ in CARDS],
        [str(r["client_id"]) for r in listed],
    )


@page_callback(
    Output("today-snooze-modal", "is_open"),
    Output("today-target", "data"),
    Output("today-snooze-title", "children"),
    Output("today-snooze-until", "date"),
    Output("today-snooze-until", "min_date_allowed"),
    Output("today-snooze-until", "max_date_allowed"),
    Input("today-grid", "cellRendererData"),
    Input("today-phone-grid", "cellRendererData"),
    State("today-grid", "rowData"),
    prevent_initial_call=True,
    permission=LOG_FOLLOWUP,
)
def open_action(view: View, action, phone_action, rows):
    """Open the snooze form for the clicked row (the contact dialog opens itself: see
    ``dashboard/components/contact.py``). Only the opaque client id is kept; the save
    callback re-checks it."""
    if dash.ctx.triggered_id == "today-phone-grid":
        action = phone_action
    if not isinstance(action, dict) or action.get("value") != "snooze":
        raise PreventUpdate
    client_id = action.get("rowId")
    rows = rows if isinstance(rows, list) else []
    row = next((r for r in rows if isinstance(r, dict) and r.get("client_id") == client_id), None)
    if row is None:
        raise PreventUpdate
    today = view.today
    tomorrow = today + dt.timedelta(days=1)
    latest = today + dt.timedelta(days=14)
    return True, client_id, f"Snooze {row.get('name', '')}", tomorrow, today, latest


contact_callbacks("today", "today-grid", "today-refresh", "today-toast")
contact_callbacks("today-phone", "today-phone-grid", "today-refresh", "today-toast")


@page_callback(
    Output("today-refresh", "data", allow_duplicate=True),
    Output("today-toast", "children", allow_duplicate=True),
    Output("today-toast", "is_open", allow_duplicate=True),
    Input("today-grid", "cellRendererData"),
    Input("today-phone-grid", "cellRendererData"),
    State("today-refresh", "data"),
    prevent_initial_call=True,
    permission=LOG_FOLLOWUP,
)
def undo_snooze(view: View, action, phone_action, refresh):
    """A snoozed row's "undo snooze": the flag is back on the list at once (audited)."""
    if dash.ctx.triggered_id == "today-phone-grid":
        action = phone_action
    if not isinstance(action, dict) or action.get("value") != "unsnooze":
        raise PreventUpdate
    client_id = action.get("rowId")
    try:
        view.run(lift_snooze, client_id=client_id)
    except AccessDenied as exc:
        view.deny_client(client_id, reason=str(exc), action="unsnooze")
        return no_update, "The snooze was not undone.", True
    except InvalidInput as exc:
        return no_update, f"Not undone: {exc}.", True
    return _bump(refresh), "Snooze undone: the flag is back on the list.", True


@page_callback(
    Output("today-snooze-modal", "is_open", allow_duplicate=True),
    Output("today-refresh", "data", allow_duplicate=True),
    Output("today-toast", "children", allow_duplicate=True),
    Output("today-toast", "is_open", allow_duplicate=True),
    Input("today-snooze-save", "n_clicks"),
    Input("today-snooze-cancel", "n_clicks"),
    State("today-target", "data"),
    State("today-snooze-until", "date"),
    State("today-snooze-reason", "value"),
    State("today-refresh", "data"),
    prevent_initial_call=True,
    permission=LOG_FOLLOWUP,
)
def save_snooze(view: View, _save, _cancel, client_id, until, reason, refresh):
    if dash.ctx.triggered_id == "today-snooze-cancel":
        return False, no_update, no_update, no_update
    try:
        until_date = dt.date.fromisoformat(str(until)[:10])
    except ValueError:
        return True, no_update, "Pick a date to snooze until.", True
    try:
        view.run(snooze_client, client_id=client_id, until=until_date, reason=reason)
    except AccessDenied as exc:
        view.deny_client(client_id, reason=str(exc), action="snooze")
        return False, no_update, "The snooze was not saved.", True
    except InvalidInput as exc:
        return True, no_update, f"Not saved: {exc}.", True
    return False, _bump(refresh), f"Snoozed until {until_date:%b %-d}.", True

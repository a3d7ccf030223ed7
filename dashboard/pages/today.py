"""Today: the counselor's morning triage (and a supervisor's view of any of their counselors).

Callbacks stay thin: check the permission, read through the scoped read model, rank with the
pure triage functions, format with the grid builder. The counselor key a supervisor picks is
a request, re-checked against the scope before anything is read.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.access import deny_client_access
from dashboard.admin_home import admin_home
from dashboard.audit import audit_denied, audit_event
from dashboard.auth.permissions import LOG_FOLLOWUP, VIEW_CASELOAD, has_permission
from dashboard.commands import (
    FOLLOWUP_METHODS,
    FOLLOWUP_OUTCOMES,
    AccessDenied,
    InvalidInput,
    log_followup,
    snooze_client,
)
from dashboard.context import command_context, current_scope, program_today, user_time_zone
from dashboard.db import db
from dashboard.figures.today_grid import COLUMN_DEFS, DEFAULT_COL_DEF, grid_rows
from dashboard.read import today as read_today
from dashboard.risk_settings import program_settings
from dashboard.triage import (
    as_of_status,
    card_counts,
    local_time,
    missed_yesterday,
    rank_caseload,
)

dash.register_page(__name__, path="/", name="Today", title="Today · Caseload", order=0)

ASOF_CLASS = {False: "text-muted small", True: "small text-warning-emphasis fw-semibold"}
CARDS = (
    ("high", "High or critical", "bi-exclamation-triangle-fill", "card-high"),
    ("newly_high", "Newly high", "bi-arrow-up-right-circle-fill", "card-new"),
    ("missed", "Missed yesterday", "bi-calendar-x", "card-missed"),
    ("due", "Follow-ups due", "bi-telephone-outbound", "card-due"),
)


def _card(key: str, title: str, icon: str, css: str) -> dbc.Col:
    return dbc.Col(
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
        xs=6,
        lg=3,
    )


def _contact_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Log a contact", id="today-contact-title")),
            dbc.ModalBody(
                [
                    dbc.Label("How", html_for="today-contact-method"),
                    dbc.RadioItems(
                        id="today-contact-method",
                        options=[{"label": v, "value": k} for k, v in FOLLOWUP_METHODS.items()],
                        value="call",
                        inline=True,
                        className="mb-3",
                    ),
                    dbc.Label("Outcome", html_for="today-contact-outcome"),
                    dbc.Select(
                        id="today-contact-outcome",
                        options=[{"label": v, "value": k} for k, v in FOLLOWUP_OUTCOMES.items()],
                        value="reached",
                        className="mb-3",
                    ),
                    dbc.Label(
                        "Note (optional, stays in the record)", html_for="today-contact-note"
                    ),
                    dbc.Textarea(
                        id="today-contact-note", maxLength=1000, rows=3, placeholder="Short note"
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button(
                        "Cancel", id="today-contact-cancel", color="secondary", outline=True
                    ),
                    dbc.Button("Save contact", id="today-contact-save", color="primary"),
                ]
            ),
        ],
        id="today-contact-modal",
        is_open=False,
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
                    dbc.Label("Reason (optional)", html_for="today-snooze-reason"),
                    dbc.Input(
                        id="today-snooze-reason",
                        maxLength=200,
                        placeholder="e.g. seen in group today",
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
    if getattr(current_user, "is_authenticated", False) and not has_permission(VIEW_CASELOAD):
        return admin_home()  # no caseload to show: say what the role can do instead
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H1("Today", className="h3 mb-0"),
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
                ],
                className="align-items-center mb-3",
            ),
            dbc.Row([_card(*c) for c in CARDS], className="g-3 mb-3"),
            html.Div(id="today-empty"),
            dcc.Loading(
                dag.AgGrid(
                    id="today-grid",
                    columnDefs=COLUMN_DEFS,
                    defaultColDef=DEFAULT_COL_DEF,
                    rowData=[],
                    getRowId="params.data.client_id",
                    dashGridOptions={
                        "animateRows": False,
                        "rowHeight": 44,
                        "suppressCellFocus": True,
                        "tooltipShowDelay": 300,
                        "overlayNoRowsTemplate": "<span></span>",
                    },
                    className="ag-theme-quartz today-grid",
                    style={"height": "calc(100vh - 300px)", "minHeight": "360px"},
                ),
                delay_show=250,
                type="default",
            ),
            dcc.Store(id="today-refresh", data=0),
            dcc.Store(id="today-target"),
            _contact_modal(),
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


@callback(
    Output("today-counselor", "options"),
    Output("today-counselor", "value"),
    Output("today-counselor-wrap", "className"),
    Input("today-page", "id"),
)
def fill_counselor_picker(_page_id):
    """A supervisor picks among their program's counselors; a counselor sees only their own."""
    if not has_permission(VIEW_CASELOAD):
        return [], None, "d-none"
    scope = current_scope()
    with db.engine.connect() as conn:
        staff = read_today.counselors(conn, scope)
        default = read_today.default_counselor(conn, scope)
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


@callback(
    Output("today-grid", "rowData"),
    Output("today-asof", "children"),
    Output("today-asof", "className"),
    Output("today-empty", "children"),
    *[Output(f"today-card-{k}", "children") for k, *_ in CARDS],
    *[Output(f"today-card-{k}-sub", "children") for k, *_ in CARDS],
    Input("today-counselor", "value"),
    Input("today-refresh", "data"),
)
def load_today(counselor_key, _refresh):
    """The ranked caseload. ``counselor_key`` comes from the browser: it is checked first."""
    n_cards = len(CARDS)
    if not has_permission(VIEW_CASELOAD):
        msg = _empty_state(
            [
                "Your role has no caseload. Administrators manage users and data loads with the ",
                html.Code("caseload users"),
                " and ",
                html.Code("caseload ingest"),
                " commands.",
            ]
        )
        return [], "", ASOF_CLASS[False], msg, *["–"] * n_cards, *[""] * n_cards
    if counselor_key is None:
        raise PreventUpdate
    scope = current_scope()
    today = program_today()
    with db.engine.connect() as conn:
        allowed = set(read_today.counselors(conn, scope)["staff_key"].astype(int))
        # type(), not isinstance(): JSON true is a bool, and bool is an int subclass.
        if type(counselor_key) is not int or counselor_key not in allowed:
            audit_denied(
                reason="caseload outside scope", detail={"counselor_key": str(counselor_key)[:20]}
            )
            empty = _empty_state("No caseload to show.")
            return [], "", ASOF_CLASS[False], empty, *["–"] * n_cards, *[""] * n_cards
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
            return [], "", ASOF_CLASS[False], msg, *["0"] * n_cards, *[""] * n_cards
        program = read_today.counselor_program(conn, scope, counselor_key) or {}
        rows = read_today.caseload_rows(conn, scope, counselor_key, as_of)
        yesterday = read_today.day_facts(
            conn, scope, counselor_key, as_of, today - dt.timedelta(days=1)
        )
        last = read_today.last_checkins(conn, scope, counselor_key, as_of)
        history = read_today.score_history(
            conn, scope, counselor_key, as_of, [int(k) for k in rows["client_key"]]
        )
        followups = read_today.recent_followups(conn, scope, counselor_key, as_of)
        snoozes = read_today.active_snoozes(conn, scope, counselor_key, as_of, today)
    time_zone = program.get("time_zone") or user_time_zone()
    ranked = rank_caseload(
        rows,
        last,
        history,
        followups,
        snoozes,
        as_of=as_of,
        today=today,
        time_zone=time_zone,
    )
    audit_event(
        "view",
        category="caseload",
        route="/",
        client_keys=[int(k) for k in ranked.get("client_key", [])],
        detail={"counselor_key": counselor_key, "as_of": as_of.isoformat()},
    )
    scored_at = None
    if not rows.empty and rows["computed_at"].notna().any():
        scored_at = local_time(rows["computed_at"].max(), time_zone)
    received_today = (
        int(rows["is_received"].fillna(False).astype(bool).sum()) if as_of == today else 0
    )
    status, stale = as_of_status(as_of, today, scored_at, received_today)
    missed = missed_yesterday(yesterday, today=today, as_of=as_of, scored_at=scored_at)
    counts = card_counts(ranked, missed)
    empty = (
        None
        if not ranked.empty
        else _empty_state(
            "No active clients on this caseload. New admissions appear after the next roster load."
        )
    )
    subs = {
        "high": "tier high or critical",
        "newly_high": "high now, not yesterday",
        "missed": missed.note,
        "due": "high or critical, not yet contacted",
    }
    settings = program_settings(program.get("program_id"))
    high_from = settings.thresholds["high"] if settings else None
    return (
        grid_rows(ranked, high_from=high_from),
        status,
        ASOF_CLASS[stale],
        empty,
        *["–" if counts[k] is None else str(counts[k]) for k, *_ in CARDS],
        *[subs[k] for k, *_ in CARDS],
    )


@callback(
    Output("today-contact-modal", "is_open"),
    Output("today-snooze-modal", "is_open"),
    Output("today-target", "data"),
    Output("today-contact-title", "children"),
    Output("today-snooze-title", "children"),
    Output("today-snooze-until", "date"),
    Output("today-snooze-until", "min_date_allowed"),
    Output("today-snooze-until", "max_date_allowed"),
    Output("today-contact-note", "value"),
    Input("today-grid", "cellRendererData"),
    State("today-grid", "rowData"),
    prevent_initial_call=True,
)
def open_action(action, rows):
    """Open the contact or snooze form for the clicked row. Only the opaque client id is kept;
    the save callbacks re-check it."""
    if not isinstance(action, dict) or not has_permission(LOG_FOLLOWUP):
        raise PreventUpdate
    client_id = action.get("rowId")
    rows = rows if isinstance(rows, list) else []
    row = next((r for r in rows if isinstance(r, dict) and r.get("client_id") == client_id), None)
    if row is None:
        raise PreventUpdate
    today = program_today()
    tomorrow = today + dt.timedelta(days=1)
    latest = today + dt.timedelta(days=14)
    name = row.get("name", "")
    if action.get("value") == "snooze":
        return (
            False,
            True,
            client_id,
            no_update,
            f"Snooze {name}",
            tomorrow,
            today,
            latest,
            no_update,
        )
    return (
        True,
        False,
        client_id,
        f"Log a contact with {name}",
        no_update,
        no_update,
        no_update,
        no_update,
        "",
    )


@callback(
    Output("today-contact-modal", "is_open", allow_duplicate=True),
    Output("today-refresh", "data", allow_duplicate=True),
    Output("today-toast", "children", allow_duplicate=True),
    Output("today-toast", "is_open", allow_duplicate=True),
    Input("today-contact-save", "n_clicks"),
    Input("today-contact-cancel", "n_clicks"),
    State("today-target", "data"),
    State("today-contact-method", "value"),
    State("today-contact-outcome", "value"),
    State("today-contact-note", "value"),
    State("today-refresh", "data"),
    prevent_initial_call=True,
)
def save_contact(_save, _cancel, client_id, method, outcome, note, refresh):
    if dash.ctx.triggered_id == "today-contact-cancel":
        return False, no_update, no_update, no_update
    try:
        log_followup(
            db.engine,
            command_context(),
            client_id=client_id,
            method=method,
            outcome=outcome,
            note=note,
        )
    except AccessDenied as exc:
        deny_client_access(client_id, reason=str(exc), action="followup")
        return False, no_update, "The contact was not saved.", True
    except InvalidInput as exc:
        return True, no_update, f"Not saved: {exc}.", True
    return False, _bump(refresh), "Contact logged.", True


@callback(
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
)
def save_snooze(_save, _cancel, client_id, until, reason, refresh):
    if dash.ctx.triggered_id == "today-snooze-cancel":
        return False, no_update, no_update, no_update
    try:
        until_date = dt.date.fromisoformat(str(until)[:10])
    except ValueError:
        return True, no_update, "Pick a date to snooze until.", True
    try:
        snooze_client(
            db.engine, command_context(), client_id=client_id, until=until_date, reason=reason
        )
    except AccessDenied as exc:
        deny_client_access(client_id, reason=str(exc), action="snooze")
        return False, no_update, "The snooze was not saved.", True
    except InvalidInput as exc:
        return True, no_update, f"Not saved: {exc}.", True
    return False, _bump(refresh), f"Snoozed until {until_date:%b %-d}.", True

"""Outcomes: a program's census, retention, adherence, abstinence, screens, tier mix and
follow-up timeliness for its supervisor (any program for an admin).

Figures come from ``dashboard.read.outcomes`` (the same code as ``caseload outcomes``); the
program id and counselor id from the pickers are requests, re-resolved through the caller's
scope before anything is read. Only aggregates reach the browser: no client row, no client id.
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.auth.permissions import VIEW_OUTCOMES
from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.commands.model_check import run_model_check
from dashboard.figures import model_check as check_figs
from dashboard.figures import outcomes as figs
from dashboard.kit import View, page_callback, register_page
from dashboard.read import model_check as read_check
from dashboard.read import outcomes as read_outcomes

register_page(
    __name__,
    path="/outcomes",
    name="Outcomes",
    title="Outcomes · Caseload",
    order=5,
    permission=VIEW_OUTCOMES,
)

ALL = "all"
DEFAULT_DAYS = 90
MAX_DAYS = 731
GRAPH_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
COUNSELOR_COLUMNS = (
    ("counselor", "Counselor"),
    ("caseload", "Clients (last day)"),
    ("contacts", "Contacts logged"),
    ("flags", "New high-risk flags"),
    ("within_24h", "Contacted within 24 h"),
    ("median", "Median time to contact"),
    ("note", ""),
)
COHORT_COLUMNS = (
    ("month", "Admitted in"),
    ("admitted", "Clients"),
    ("30", "Retained 30 days"),
    ("60", "60 days"),
    ("90", "90 days"),
)


def _graph(name: str) -> dcc.Graph:
    return dcc.Graph(id=f"outcomes-{name}", config=GRAPH_CONFIG, className="outcomes-graph")


def _section(title: str, *children, note: str | None = None) -> html.Section:
    head = [html.H2(title, className="h5 mb-1")]
    if note:
        head.append(html.P(note, className="text-muted small mb-2"))
    return html.Section([*head, *children], className="outcomes-section mb-4")


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Program outcomes", className="h3 mb-0"),
                    html.Div(id="outcomes-status", className="text-muted small"),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Program", html_for="outcomes-program", className="small"),
                            dcc.Dropdown(id="outcomes-program", clearable=False),
                        ],
                        xs=12,
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Period", html_for="outcomes-period", className="small"),
                            dcc.DatePickerRange(
                                id="outcomes-period",
                                display_format="MMM D, YYYY",
                                minimum_nights=0,
                                className="d-block",
                            ),
                        ],
                        xs=12,
                        md=5,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Counselor", html_for="outcomes-counselor", className="small"
                            ),
                            dcc.Dropdown(id="outcomes-counselor", value=ALL, clearable=False),
                        ],
                        xs=12,
                        md=3,
                    ),
                ],
                className="g-2 mb-3 outcomes-controls",
            ),
            dcc.Loading(
                [
                    dbc.Row(id="outcomes-cards", className="g-2 mb-4"),
                    _section(
                        "Retention",
                        dbc.Row(
                            [
                                dbc.Col(html.Div(id="outcomes-cohorts"), xs=12, lg=6),
                                dbc.Col(_graph("survival"), xs=12, lg=6),
                            ]
                        ),
                        note="Clients admitted in the period, by admission month. A client counts "
                        "at N days once N days have passed since admission.",
                    ),
                    _section(
                        "Adherence, abstinence and screens by week",
                        _graph("trends"),
                        note="Expected check-ins met; days answered 'no use' of the days that "
                        "answered; negative screens of all collected (dilute, invalid and "
                        "refused included).",
                    ),
                    _section(
                        "Risk-tier mix by week",
                        _graph("mix"),
                        note="Share of scored client-days in each tier.",
                    ),
                    _section(
                        "Follow-up and caseload per counselor",
                        html.Div(id="outcomes-counselors"),
                        _graph("balance"),
                        note="Time from the start of the day a client became high or critical "
                        "to the first contact attempt logged.",
                    ),
                ],
                delay_show=250,
            ),
            _check_section(),
            html.P(
                [
                    "How each figure is counted: ",
                    html.Code("docs/outcomes.md"),
                    f". Figures resting on fewer than 11 clients are marked {figs.SMALL_MARK}.",
                ],
                className="text-muted small",
            ),
        ],
        id="outcomes-page",
    )


def _check_section() -> html.Section:
    return _section(
        "Does the score predict lapses here?",
        html.Div(
            [
                dbc.Button("Run the check", id="outcomes-check-run", color="primary", size="sm"),
                html.Span(id="outcomes-check-progress", className="ms-2 small text-muted"),
            ],
            className="mb-2 outcomes-controls",
        ),
        dcc.Loading(html.Div(id="outcomes-check"), delay_show=250),
        html.H3("Alert budget", className="h6 mt-3"),
        html.P(
            "How many clients can a counselor reach in a morning?",
            className="small mb-1",
        ),
        dcc.Slider(
            id="outcomes-budget",
            min=1,
            max=20,
            step=1,
            value=5,
            marks={k: str(k) for k in (1, 5, 10, 15, 20)},
            tooltip={"placement": "bottom"},
            className="outcomes-controls",
        ),
        html.Div(id="outcomes-budget-out", className="small"),
        dcc.Store(id="outcomes-check-done", data=0),
        note="On this program's own scored days of the period: whether a lapse (reported use or "
        "a positive screen) followed within 7 days. Intervals are 95% bootstrap intervals "
        "over clients. The check reads every scored day, so it runs on request and is kept "
        "for the day.",
    )


@page_callback(
    Output("outcomes-program", "options"),
    Output("outcomes-program", "value"),
    Output("outcomes-period", "start_date"),
    Output("outcomes-period", "end_date"),
    Output("outcomes-period", "max_date_allowed"),
    Input("outcomes-page", "id"),
    permission=VIEW_OUTCOMES,
)
def fill_pickers(view: View, _page_id):
    """The programs the caller may read (a supervisor: one) and the last 90 days."""
    programs = read_outcomes.programs(view.conn, view.scope)
    options = [{"label": r.name, "value": r.program_id} for r in programs.itertuples()]
    own = programs[programs["program_key"] == view.scope.program_key]
    chosen = own if not own.empty else programs
    value = None if chosen.empty else chosen["program_id"].iloc[0]
    start = view.today - dt.timedelta(days=DEFAULT_DAYS - 1)
    return options, value, start.isoformat(), view.today.isoformat(), view.today.isoformat()


@page_callback(
    Output("outcomes-counselor", "options"),
    Output("outcomes-counselor", "value"),
    Input("outcomes-program", "value"),
    permission=VIEW_OUTCOMES,
)
def fill_counselors(view: View, program_id):
    key = read_outcomes.resolve_program(view.conn, view.scope, program_id)
    if key is None:
        if program_id is not None:
            view.deny("program outside scope", program=str(program_id)[:64])
        return [{"label": "All counselors", "value": ALL}], ALL
    staff = read_outcomes.counselors(view.conn, key)
    options = [{"label": "All counselors", "value": ALL}] + [
        {"label": f"{r.first_name} {r.last_name}", "value": r.staff_id} for r in staff.itertuples()
    ]
    return options, ALL


def _day(value) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _table(rows: list[dict], columns, css: str) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(label, scope="col") for _, label in columns]))
    body = html.Tbody([html.Tr([html.Td(row[key]) for key, _ in columns]) for row in rows])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, className=css)


def _card(card: dict) -> dbc.Col:
    mark = html.Span(figs.SMALL_MARK, className="badge text-bg-light ms-1") if card["small"] else ""
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div([card["label"], mark], className="card-title-small"),
                    html.Div(card["value"], className="card-count"),
                    html.Div(card["change"], className="card-sub"),
                ]
            ),
            className="summary-card outcomes-card",
            id=f"outcomes-card-{card['key']}",
        ),
        xs=6,
        md=4,
        xl=2,
    )


EMPTY = ("", [], html.Div(), {}, {}, {}, html.Div(), {})


@page_callback(
    Output("outcomes-status", "children"),
    Output("outcomes-cards", "children"),
    Output("outcomes-cohorts", "children"),
    Output("outcomes-survival", "figure"),
    Output("outcomes-trends", "figure"),
    Output("outcomes-mix", "figure"),
    Output("outcomes-counselors", "children"),
    Output("outcomes-balance", "figure"),
    Input("outcomes-program", "value"),
    Input("outcomes-period", "start_date"),
    Input("outcomes-period", "end_date"),
    Input("outcomes-counselor", "value"),
    permission=VIEW_OUTCOMES,
)
def load_outcomes(view: View, program_id, start_value, end_value, staff_id):
    """The period's figures and the previous period's (same length) for the cards' change."""
    if program_id is None:
        return EMPTY
    key = read_outcomes.resolve_program(view.conn, view.scope, program_id)
    if key is None:
        view.deny("program outside scope", program=str(program_id)[:64])
        return ("No program to show.", *EMPTY[1:])
    counselor = None
    if staff_id != ALL:
        counselor = read_outcomes.counselor_key(view.conn, key, staff_id)
        if counselor is None:
            view.deny("counselor outside program", counselor=str(staff_id)[:64])
            return ("No counselor to show.", *EMPTY[1:])
    start, end = _day(start_value), _day(end_value)
    if start is None or end is None or end < start or (end - start).days >= MAX_DAYS:
        return (f"Pick a period of 1 to {MAX_DAYS} days.", *EMPTY[1:])
    length = end - start + dt.timedelta(days=1)
    before = (start - length, start - dt.timedelta(days=1))
    result, previous = read_outcomes.period_outcomes(
        view.conn, key, [(start, end), before], counselor
    )
    view.audit_view(
        "program_outcomes",
        detail={"program_key": key, "from": start.isoformat(), "to": end.isoformat()},
    )
    status = (
        f"{start:%b %-d, %Y} – {end:%b %-d, %Y} ({length.days} days), compared with the "
        f"{length.days} days before"
    )
    return (
        status,
        [_card(c) for c in figs.cards(result, previous)],
        _table(figs.cohort_rows(result["cohorts"]), COHORT_COLUMNS, "outcomes-cohort-table")
        if result["cohorts"]
        else html.P("No admissions in this period.", className="text-muted"),
        figs.survival_figure(result["survival"]),
        figs.trends_figure(result["weekly"]),
        figs.mix_figure(result["risk_mix"]),
        _table(
            figs.counselor_rows(result["counselors"]), COUNSELOR_COLUMNS, "outcomes-staff-table"
        ),
        figs.balance_figure(result["counselors"]),
    )


def _period(program_id, start_value, end_value, view: View):
    """(program key, start, end) from the browser's values, or ``None`` (refusals audited)."""
    key = read_outcomes.resolve_program(view.conn, view.scope, program_id)
    if key is None:
        if program_id is not None:
            view.deny("program outside scope", program=str(program_id)[:64])
        return None
    start, end = _day(start_value), _day(end_value)
    if start is None or end is None or end < start or (end - start).days >= MAX_DAYS:
        return None
    return key, start, end


@page_callback(
    Output("outcomes-check-done", "data"),
    Input("outcomes-check-run", "n_clicks"),
    State("outcomes-program", "value"),
    State("outcomes-period", "start_date"),
    State("outcomes-period", "end_date"),
    State("outcomes-check-done", "data"),
    permission=VIEW_OUTCOMES,
    prevent_initial_call=True,
    running=[
        (Output("outcomes-check-run", "disabled"), True, False),
        (
            Output("outcomes-check-progress", "children"),
            "Computing: reading every scored day of the period and resampling clients "
            "(a minute or more on a large program)…",
            "",
        ),
    ],
)
def run_check(view: View, _clicks, program_id, start_value, end_value, done):
    start, end = _day(start_value), _day(end_value)
    if not isinstance(program_id, str) or start is None or end is None:
        raise PreventUpdate
    try:
        view.run(run_model_check, program_id=program_id, start=start, end=end)
    except AccessDenied:
        view.deny("program outside scope", program=program_id[:64])
        raise PreventUpdate from None
    except InvalidInput:
        raise PreventUpdate from None
    return done + 1 if type(done) is int and 0 <= done < 2**31 else 1


def _rows_table(rows, columns) -> dbc.Table:
    return _table(rows, columns, "outcomes-check-table")


@page_callback(
    Output("outcomes-check", "children"),
    Input("outcomes-program", "value"),
    Input("outcomes-period", "start_date"),
    Input("outcomes-period", "end_date"),
    Input("outcomes-check-done", "data"),
    permission=VIEW_OUTCOMES,
)
def show_check(view: View, program_id, start_value, end_value, _done):
    """Today's stored check for the program and period, or how to get one."""
    found = _period(program_id, start_value, end_value, view)
    if found is None:
        return html.Div()
    key, start, end = found
    check = read_check.stored(view.conn, key, view.today, start, end)
    if check is None:
        return html.P(
            "Not run today for this period. Press 'Run the check'.", className="text-muted small"
        )
    view.audit_view("model_check", detail={"program_key": key, "from": start.isoformat()})
    warnings = [g for g in check_figs.group_rows(check) if g["warning"]]
    alert = (
        dbc.Alert(
            [
                html.Strong("The score ranks worse for some clients: "),
                ", ".join(g["group"] for g in warnings),
                " (AUROC more than 0.05 below the program's).",
            ],
            color="warning",
            className="py-2 small",
        )
        if warnings
        else ""
    )
    groups = [
        {**g, "warning": "below the program" if g["warning"] else ""}
        for g in check_figs.group_rows(check)
    ]
    return html.Div(
        [
            html.P(
                f"{check['n']:,} client-days of {check['clients']:,} clients, "
                f"{check['positives']:,} followed by a lapse within {check['horizon_days']} "
                f"days (base rate {100 * (check['base_rate'] or 0):.1f}%). "
                f"Computed {check['computed_at'][:16].replace('T', ' ')} UTC in "
                f"{check['seconds']:.1f} s.",
                className="small",
            ),
            alert,
            dbc.Row(
                [
                    dbc.Col(
                        _rows_table(
                            check_figs.ranking_rows(check),
                            (
                                ("ranking", "Ranking"),
                                ("auroc", "AUROC (95% CI)"),
                                ("pr_auc", "PR-AUC (95% CI)"),
                                ("precision", f"Lapses among top {check['k']}"),
                            ),
                        ),
                        xs=12,
                        lg=7,
                    ),
                    dbc.Col(
                        dcc.Graph(
                            id="outcomes-calibration",
                            figure=check_figs.calibration_figure(check),
                            config=GRAPH_CONFIG,
                        ),
                        xs=12,
                        lg=5,
                    ),
                ]
            ),
            _rows_table(
                groups,
                (("group", "Group"), ("n", "Client-days"), ("auroc", "AUROC"), ("warning", "")),
            ),
        ]
    )


@page_callback(
    Output("outcomes-budget-out", "children"),
    Input("outcomes-budget", "value"),
    Input("outcomes-program", "value"),
    Input("outcomes-period", "start_date"),
    Input("outcomes-period", "end_date"),
    Input("outcomes-check-done", "data"),
    permission=VIEW_OUTCOMES,
)
def show_budget(view: View, k, program_id, start_value, end_value, _done):
    """What a budget of ``k`` flags per counselor per morning would have caught."""
    found = _period(program_id, start_value, end_value, view)
    if found is None or type(k) is not int or not 1 <= k <= 20:
        return ""
    key, start, end = found
    check = read_check.stored(view.conn, key, view.today, start, end)
    if check is None:
        return html.P("Run the check to see what each budget catches.", className="text-muted")
    text = check_figs.budget_text(check, k, program_id)
    return html.Div(
        [
            html.P(html.Strong(text["chosen"]), className="mb-1", id="outcomes-budget-chosen"),
            html.P(text["current"], className="mb-1"),
            html.P(f"{text['window']}. {text['where']}", className="text-muted"),
        ]
    )

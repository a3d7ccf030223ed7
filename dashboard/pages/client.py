"""One client's record: header, risk trend, signals against the personal baseline, check-in
calendar, triggers, use and screens, and the follow-up history.

The client id in the URL is an opaque request. The callback resolves it through the caller's
scope before reading anything; a refused id gets the same neutral answer as an unknown one,
and an audit row. Every successful read of the record writes a ``view`` audit row.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.auth.permissions import LOG_FOLLOWUP, VIEW_CASELOAD, has_permission
from dashboard.components.contact import contact_callbacks, contact_dialog
from dashboard.figures import client as figs
from dashboard.figures.bam import bam_trend
from dashboard.figures.palette import TIER_COLORS, TIER_ICONS, TIER_LABELS
from dashboard.kit import View, page_callback, register_page
from dashboard.read import client as read_client
from dashboard.read.bam import client_bam
from dashboard.risk_settings import RiskSettings, program_settings
from dashboard.triage import discordance_reason, reason_line, reasons_list

register_page(
    __name__,
    permission=VIEW_CASELOAD,
    path_template="/client/<client_id>",
    name="Client",
    title="Client · Caseload",
    nav=False,
)

RANGES = {"30": 30, "90": 90, "all": None}
TOP_REASONS = 4
GRAPH_CONFIG = {
    "displaylogo": False,
    "displayModeBar": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
}


def _panel(title: str, body, sub: str | None = None, sub_id: str | None = None) -> dbc.Card:
    header = [html.Span(title, className="fw-semibold")]
    if sub or sub_id:
        extra = {"id": sub_id} if sub_id else {}
        header.append(html.Span(sub, className="text-muted small ms-2", **extra))
    return dbc.Card(
        [dbc.CardHeader(header, className="py-2"), dbc.CardBody(body, className="p-2")],
        className="mb-3",
    )


def _range_picker() -> html.Div:
    return html.Div(
        [
            dbc.Label("Show", html_for="client-range", className="me-2 small"),
            dbc.RadioItems(
                id="client-range",
                options=_range_options(None),
                value="90",
                inline=True,
                className="btn-group range-picker",
                inputClassName="btn-check",
                labelClassName="btn btn-sm btn-outline-primary",
                labelCheckedClassName="active",
            ),
        ],
        id="client-range-box",
        className="d-flex align-items-center justify-content-lg-end",
        style={"display": "none"},
    )


def _today_steps() -> html.Div:
    """Previous / next client in Today's order, for a counselor working down the list."""
    return html.Div(
        [
            dbc.Button(
                [html.I(className="bi bi-chevron-left me-1"), "Previous"],
                id="client-prev",
                size="sm",
                color="secondary",
                outline=True,
                disabled=True,
            ),
            html.Span("", id="client-position", className="small text-muted mx-2"),
            dbc.Button(
                ["Next", html.I(className="bi bi-chevron-right ms-1")],
                id="client-next",
                size="sm",
                color="secondary",
                outline=True,
                disabled=True,
            ),
        ],
        id="client-steps",
        className="d-flex align-items-center justify-content-lg-end mt-2",
    )


def _range_options(first: dt.date | None) -> list[dict]:
    """ "All" says where the record begins, so a counselor knows how far back it goes."""
    everything = f"All (since {first:%b %-d, %Y})" if first else "All"
    return [
        {"label": "30 days", "value": "30"},
        {"label": "90 days", "value": "90"},
        {"label": everything, "value": "all"},
    ]


def layout(client_id: str | None = None, **_kwargs) -> html.Div:
    return html.Div(
        [
            dcc.Store(id="client-id", data=client_id),
            dcc.Store(id="client-refresh", data=0),
            dcc.Store(id="client-contact-action"),
            dbc.Row(
                [
                    dbc.Col(dcc.Loading(html.Div(id="client-header"), delay_show=250), lg=8),
                    dbc.Col(
                        [
                            _range_picker(),
                            _today_steps(),
                            html.Div(
                                dbc.Button(
                                    [html.I(className="bi bi-telephone me-1"), "Log a contact"],
                                    id="client-contact-open",
                                    size="sm",
                                    color="primary",
                                    outline=True,
                                ),
                                className="text-lg-end mt-2"
                                + ("" if has_permission(LOG_FOLLOWUP) else " d-none"),
                            ),
                        ],
                        lg=4,
                    ),
                ],
                className="align-items-start mb-2",
            ),
            html.Div(
                id="client-body",
                children=[
                    _panel(
                        "Record",
                        # In the layout from the start, so the browser fetches and compiles
                        # plotly.js while the record is read, not after (~0.5 s saved).
                        html.Div(id="client-charts"),
                        sub_id="client-charts-sub",
                    ),
                    _panel(
                        "Brief Addiction Monitor",
                        dcc.Graph(id="client-bam-chart", config=GRAPH_CONFIG),
                        "scale scores per form; dashed: the cut-off, "
                        "shaded: flagged side, ▲ a flagged form",
                    ),
                    _panel("Follow-ups", html.Div(id="client-followups")),
                    contact_dialog("client"),
                    dbc.Toast(
                        id="client-toast",
                        is_open=False,
                        duration=4000,
                        dismissable=True,
                        className="position-fixed bottom-0 end-0 m-3",
                        header="Caseload",
                    ),
                ],
            ),
        ],
        id="client-page",
    )


def _tier_badge(tier: str | None) -> html.Span:
    if not tier:
        return html.Span("Not scored", className="tier-badge text-muted")
    return html.Span(
        [html.I(className=f"bi {TIER_ICONS[tier]} me-1"), TIER_LABELS[tier]],
        className=f"tier-badge tier-{tier}",
        style={"color": TIER_COLORS[tier]},
    )


def _header(h: dict, risk_row, today: dt.date) -> html.Div:
    days = figs.days_in_treatment(h["admission_date"], today, h["discharge_date"])
    screen_text = figs.last_screen_text(h["last_screen"])
    counselor = " ".join(p for p in (h["counselor_first_name"], h["counselor_last_name"]) if p)
    facts = [
        ("Program", h["program_name"]),
        ("Counselor", counselor or "unassigned"),
        (
            "In treatment",
            f"{days} days (since {h['admission_date']:%b %-d, %Y})"
            + (" · discharged" if h["discharge_date"] else ""),
        ),
        ("Last screen", screen_text),
        ("Check-ins", h["checkin_schedule"]),
    ]
    score, why, talk = [], [], []
    if risk_row is not None:
        day = risk_row["date"]
        when = f"today, {day:%b %-d}" if day == today else f"on {day:%b %-d}"
        score = [
            html.Span(f"{risk_row['score']:.0f}", className="header-score ms-3 me-2"),
            _tier_badge(risk_row["tier"]),
            html.Span(when, className="text-muted small ms-1"),
        ]
        lines = [reason_line(r) for r in reasons_list(risk_row["reasons"])[:TOP_REASONS]]
        if lines:
            why = [
                html.Ul(
                    [html.Li(line) for line in lines if line],
                    className="header-reasons mb-0",
                    id="client-reasons",
                )
            ]
        if (discordant := discordance_reason(risk_row["reasons"])) is not None:
            talk = [_discordance_marker(discordant)]
    return html.Div(
        [
            html.Div(
                [
                    html.H1(
                        f"{h['first_name']} {h['last_name']}",
                        className="h3 mb-0 d-inline",
                        id="client-name",
                    ),
                    html.Span(h["client_id"], className="text-muted ms-2 small"),
                    *score,
                ],
                className="d-flex align-items-baseline flex-wrap",
            ),
            html.Dl(
                [x for k, v in facts for x in (html.Dt(k), html.Dd(v))],
                className="header-facts mb-0",
            ),
            *why,
            *talk,
        ]
    )


def _discordance_marker(reason: dict) -> html.Div:
    """A screen that disagrees with the client's own answers, set apart as something to talk
    through with them (screens can be wrong, answers can be hard to give), not as a verdict."""
    return html.Div(
        [
            html.I(className="bi bi-chat-square-text me-2", **{"aria-hidden": "true"}),
            html.Strong("To talk through: "),
            reason_line(reason),
        ],
        className="client-discordance mt-2",
        id="client-discordance",
        role="note",
    )


def _followups_table(rows: list[dict]):
    if not rows:
        return html.Div(
            "No contacts logged yet. Log one from the Today page.", className="text-muted small p-2"
        )
    head = html.Thead(
        html.Tr([html.Th(c) for c in ("When", "How", "Outcome", "Answered flag", "Note", "By")])
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(r["when"]),
                    html.Td(r["method"]),
                    html.Td(r["outcome"]),
                    html.Td(r["flag"]),
                    html.Td(r["note"], className="note-cell"),
                    html.Td(r["by"]),
                ]
            )
            for r in rows
        ]
    )
    return dbc.Table(
        [head, body],
        size="sm",
        striped=True,
        className="mb-0 followups-table",
        id="client-followups-table",
    )


def _nothing(message: str):
    """The neutral answer for an unknown or refused id: no record, no range picker."""
    return (
        dbc.Alert(message, color="light", className="empty-state border"),
        {"display": "none"},
        None,
        None,
        "",
        {"display": "none"},
        _range_options(None),
    )


CALENDAR_KEY = "check-ins: ✓ done · ✕ missed · … due today, not in yet · grey: not expected"


def _risk_sub(settings: RiskSettings | None, risk) -> str:
    """What the tier bands are, and whether the scores shown were made under other settings."""
    if settings is None:
        return "risk: daily score; tier bands unavailable (the program's risk settings do not load)"
    t = settings.thresholds
    text = (
        f"risk: daily score · bands: the program's tiers (moderate from {t['moderate']:g}, "
        f"high {t['high']:g}, critical {t['critical']:g})"
    )
    if not risk.empty and (risk["config_hash"] != settings.config_hash).any():
        text += " · some scores were made under earlier settings"
    return text


def _signals_sub(settings: RiskSettings | None) -> str:
    days = settings.baseline_days if settings else 28
    least = settings.baseline_min_days if settings else 7
    return (
        f"signals: band = own baseline ± 1 SD, from the previous {days} days' answers "
        f"(once {least} are in), as the risk rules use it"
    )


@page_callback(
    Output("client-header", "children"),
    Output("client-body", "style"),
    Output("client-charts", "children"),
    Output("client-followups", "children"),
    Output("client-charts-sub", "children"),
    Output("client-range-box", "style"),
    Output("client-range", "options"),
    Input("client-id", "data"),
    Input("client-range", "value"),
    Input("client-refresh", "data"),
    permission=VIEW_CASELOAD,
)
def load_client(view: View, client_id, range_value, _refresh=None):
    """Resolve the id through the scope, audit the view, read, build the one figure."""
    scope, today, conn = view.scope, view.today, view.conn
    client_key = read_client.resolve_client(conn, scope, client_id)
    if client_key is None:
        view.deny_client(client_id, reason="client outside scope", action="view")
        return _nothing("No client record to show.")
    header = read_client.client_header(conn, scope, client_key)
    first_day, last_day = read_client.day_span(conn, scope, client_key)
    last_day = last_day or today
    span = RANGES.get(str(range_value), 90)
    start = None if span is None else last_day - dt.timedelta(days=span - 1)
    days = read_client.client_days(conn, scope, client_key, start)
    risk = read_client.client_risk(conn, scope, client_key, start)
    triggers = read_client.client_triggers(conn, scope, client_key, start)
    screens = read_client.client_screens(conn, scope, client_key, start)
    followups = read_client.client_followups(conn, scope, client_key)
    view.audit_view(
        "client_record",
        client_keys=[client_key],
        route=f"/client/{client_id}",
        detail={"range": str(range_value)},
    )
    settings = program_settings(header["program_id"])
    latest_risk = risk.iloc[-1] if not risk.empty else None
    spec = figs.client_charts(
        risk,
        days,
        screens,
        triggers,
        thresholds=settings.thresholds if settings else None,
        schedule=header["checkin_schedule"],
        sd_floors=settings.sd_floors if settings else None,
        baseline_days=settings.baseline_days if settings else 28,
        short_sleep_hours=settings.short_sleep_hours if settings else None,
    )
    return (
        _header(header, latest_risk, today),
        {},
        dcc.Graph(id="client-chart", figure=spec, config=GRAPH_CONFIG),
        _followups_table(figs.followup_rows(followups, header["time_zone"])),
        " · ".join((_risk_sub(settings, risk), CALENDAR_KEY, _signals_sub(settings))),
        {},
        _range_options(first_day),
    )


@page_callback(
    Output("client-bam-chart", "figure"),
    Input("client-id", "data"),
    Input("client-range", "value"),
    permission=VIEW_CASELOAD,
)
def load_bam(view: View, client_id, range_value):
    """The BAM panel, on its own: the same scope check and the same audit as the record."""
    client_key = read_client.resolve_client(view.conn, view.scope, client_id)
    if client_key is None:
        view.deny_client(client_id, reason="client outside scope", action="view_bam")
        return figs.empty_figure("No client record to show.")
    last_day = read_client.day_span(view.conn, view.scope, client_key)[1] or view.today
    span = RANGES.get(str(range_value), 90)
    start = None if span is None else last_day - dt.timedelta(days=span - 1)
    forms = client_bam(view.conn, view.scope, client_key, start)
    view.audit_view(
        "client_bam",
        client_keys=[client_key],
        route=f"/client/{client_id}",
        detail={"range": str(range_value)},
    )
    return bam_trend(forms)


@page_callback(
    Output("client-contact-action", "data"),
    Input("client-contact-open", "n_clicks"),
    State("client-id", "data"),
    prevent_initial_call=True,
    permission=LOG_FOLLOWUP,
)
def ask_contact(_view: View, clicks, client_id):
    """The record's "Log a contact": the same dialog and command as Today's rows (the dialog
    re-checks the id against the caller's scope)."""
    if not clicks:
        raise PreventUpdate
    return {"value": "contact", "rowId": client_id, "n": clicks}


contact_callbacks(
    "client", None, "client-refresh", "client-toast", trigger=("client-contact-action", "data")
)


# Previous / next in Today's order: in the browser (``todaySteps`` in assets/clientside.js).
# It reads nothing and only picks links, which the pages they open check like any other.
dash.clientside_callback(
    ClientsideFunction("caseload", "todaySteps"),
    Output("client-prev", "href"),
    Output("client-prev", "disabled"),
    Output("client-next", "href"),
    Output("client-next", "disabled"),
    Output("client-position", "children"),
    Input("client-id", "data"),
    Input("shell-today-order", "data"),
)

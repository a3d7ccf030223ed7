"""Reports: de-identified exports that may leave the program (a funder, a board, a researcher).

Supervisors and analysts export their own program, admins any; counselors get no page, no
navigation entry and no callback (the kit answers them with nothing and audits it). The choice
of program, period, level, grain, format, k and mode is a request: ``commands.export.parse``
checks it and the command re-resolves the program through the caller's scope. The preview
shows the first rows and the de-identification summary of exactly what would be released; the
download goes through ``etl.export.run`` like ``caseload export`` (one audit row with the
file's SHA-256).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard.auth.permissions import EXPORT_ANONYMIZED
from dashboard.commands import export as export_cmd
from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.figures.client import SIGNAL_TITLES
from dashboard.figures.outcomes import CARDS
from dashboard.kit import View, page_callback, register_page
from dashboard.read import reports as read_reports
from etl.export.aggregate import RATES, SUPPRESSED
from etl.export.run import ExportRefused

register_page(
    __name__,
    path="/reports",
    name="Reports",
    title="Reports · Caseload",
    order=6,
    permission=EXPORT_ANONYMIZED,
)

PREVIEW_ROWS = 10
DEFAULT_MONTHS = 6
LEVEL_OPTIONS = [
    {"label": "Program outcomes (aggregate)", "value": "aggregate"},
    {"label": "Client-level rows", "value": "records"},
]
GRAIN_LABELS = {"month": "Month", "week": "Week", "day": "Day"}
FORMAT_OPTIONS = [
    {"label": "PDF report", "value": "pdf"},
    {"label": "Excel (XLSX)", "value": "xlsx"},
    {"label": "CSV + notice (zip)", "value": "csv"},
]
MODE_OPTIONS = [
    {"label": "Safe Harbor (years only)", "value": "safe_harbor"},
    {"label": "Expert Determination (shifted dates)", "value": "expert_determination"},
]
CONTROLS = (
    State("reports-program", "value"),
    State("reports-period", "start_date"),
    State("reports-period", "end_date"),
    State("reports-level", "value"),
    State("reports-grain", "value"),
    State("reports-format", "value"),
    State("reports-k", "value"),
    State("reports-mode", "value"),
)


def _field(label: str, control, cid: str, **col) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=cid, className="small mb-1"), control], **col)


def layout(**_kwargs) -> html.Div:
    controls = dbc.Row(
        [
            _field(
                "Program",
                dcc.Dropdown(id="reports-program", clearable=False),
                "reports-program",
                xs=12,
                md=4,
            ),
            _field(
                "Period",
                dcc.DatePickerRange(
                    id="reports-period",
                    display_format="MMM D, YYYY",
                    minimum_nights=0,
                    className="d-block",
                ),
                "reports-period",
                xs=12,
                md=5,
            ),
            _field(
                "Format",
                dcc.Dropdown(
                    id="reports-format", options=FORMAT_OPTIONS, value="pdf", clearable=False
                ),
                "reports-format",
                xs=12,
                md=3,
            ),
            _field(
                "Level",
                dbc.RadioItems(
                    id="reports-level", options=LEVEL_OPTIONS, value="aggregate", inline=True
                ),
                "reports-level",
                xs=12,
                md=5,
            ),
            _field(
                "By",
                dcc.Dropdown(id="reports-grain", clearable=False),
                "reports-grain",
                xs=6,
                md=2,
            ),
            _field(
                "k (people per group)",
                dbc.Input(id="reports-k", type="number", min=2, max=100, step=1, value=5),
                "reports-k",
                xs=6,
                md=2,
            ),
            _field(
                "Mode",
                dcc.Dropdown(
                    id="reports-mode", options=MODE_OPTIONS, value="safe_harbor", clearable=False
                ),
                "reports-mode",
                xs=12,
                md=3,
            ),
        ],
        className="g-2 mb-3 reports-controls",
    )
    buttons = html.Div(
        [
            dbc.Button("Preview", id="reports-preview-btn", color="secondary", className="me-2"),
            dbc.Button("Download", id="reports-download-btn", color="primary"),
            html.Span(id="reports-status", className="ms-3 small", role="status"),
        ],
        className="mb-3 d-flex flex-wrap align-items-center gap-1",
    )
    return html.Div(
        [
            html.H1("Reports", className="h3 mb-0"),
            html.P(
                "De-identified exports that can leave the program: HIPAA Safe Harbor, small "
                "cells suppressed, k-anonymity checked before release, the 42 CFR Part 2 "
                "notice in every file. Every download is recorded in the audit log.",
                className="text-muted small mb-3",
            ),
            controls,
            buttons,
            dcc.Loading(
                [
                    html.Div(id="reports-summary", className="mb-3"),
                    html.Div(id="reports-preview"),
                ],
                delay_show=250,
            ),
            dcc.Download(id="reports-download"),
        ],
        id="reports-page",
    )


@page_callback(
    Output("reports-program", "options"),
    Output("reports-program", "value"),
    Output("reports-period", "start_date"),
    Output("reports-period", "end_date"),
    Output("reports-period", "max_date_allowed"),
    Input("reports-page", "id"),
    permission=EXPORT_ANONYMIZED,
)
def fill_pickers(view: View, _page_id):
    """The programs the caller may export (a supervisor or analyst: one) and the last six
    calendar months up to today, from the month the program's data begins when later (months
    without data would only fill the preview with empty rows)."""
    programs = read_reports.programs(view.conn, view.scope)
    options = [{"label": r.name, "value": r.program_id} for r in programs.itertuples()]
    own = programs[programs["program_key"] == view.scope.program_key]
    chosen = own if not own.empty else programs
    value = None if chosen.empty else chosen["program_id"].iloc[0]
    first = view.today.replace(day=1)
    for _ in range(DEFAULT_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    if not chosen.empty:
        held = read_reports.data_range(view.conn, int(chosen["program_key"].iloc[0]))
        if held and first < held[0] <= view.today:
            first = held[0].replace(day=1)
    return options, value, first.isoformat(), view.today.isoformat(), view.today.isoformat()


@page_callback(
    Output("reports-grain", "options"),
    Output("reports-grain", "value"),
    Output("reports-k", "disabled"),
    Output("reports-mode", "disabled"),
    Input("reports-level", "value"),
    permission=EXPORT_ANONYMIZED,
)
def level_choices(_view: View, level):
    """Aggregates come by month or week; rows by day or week, with k and the mode."""
    grains = export_cmd.LEVELS.get(level if isinstance(level, str) else "", ("month", "week"))
    options = [{"label": GRAIN_LABELS[g], "value": g} for g in grains]
    records = level == "records"
    return options, grains[0], not records, not records


def _values(program, start, end, level, grain, fmt, k, mode) -> dict:
    return {
        "program": program,
        "start": start,
        "end": end,
        "level": level,
        "grain": grain,
        "fmt": fmt,
        "k": k,
        "mode": mode if level == "records" else "safe_harbor",
    }


def _request(view: View, values: dict):
    """A checked request, or ``(None, message)``; a program outside the scope is audited."""
    try:
        request = export_cmd.parse(values)
    except InvalidInput as exc:
        return None, str(exc)
    if read_reports.resolve_program(view.conn, view.scope, request.program_id) is None:
        view.deny("program outside scope", program=str(request.program_id)[:64])
        return None, "No program to export."
    return request, ""


def _badge(label: str, value) -> html.Div:
    return html.Div(
        [html.Div(label, className="card-title-small"), html.Div(str(value), className="fw-bold")],
        className="reports-figure border rounded px-3 py-2",
    )


def summary_panel(summary: dict) -> html.Div:
    """The de-identification summary the file will carry, in figures."""
    if summary["level"] == "aggregate":
        figures = [
            ("Mode", "Safe Harbor"),
            ("Cells suppressed", f"{summary['cells_suppressed']} of {summary['cells']}"),
            (
                "Primary / complementary",
                f"{summary['suppressed_primary']} / {summary['suppressed_complementary']}",
            ),
            ("Smallest published cell", summary["k_reached"] or "–"),
            ("Rows", summary["rows"]),
        ]
        note = (
            "Counts of 1 to 10 clients and rates resting on fewer than 11 are suppressed (*), "
            "with the cells that would give them away by subtraction. Counselors appear under "
            "random labels drawn anew for each export."
        )
    else:
        mode = (
            "Expert Determination" if summary["mode"] == "expert_determination" else ("Safe Harbor")
        )
        figures = [
            ("Mode", mode),
            ("k reached", f"{summary['k_reached'] or '–'} (asked {summary['k']})"),
            ("l reached", f"{summary['l_reached'] or '–'} (asked {summary['l']})"),
            ("People", summary["people"]),
            ("Generalised", summary["generalised"]),
            ("Suppressed", summary["suppressed"]),
            ("Rows", summary["rows"]),
        ]
        note = (
            "Checked over one row per person as written: age band, sex, ZIP3, program and "
            "admission year. Generalised people had a quasi-identifier coarsened; suppressed "
            "people are left out. Pseudonyms are drawn anew for each export."
        )
    return html.Div(
        [
            html.Div(
                [_badge(label, value) for label, value in figures],
                className="d-flex flex-wrap gap-2 mb-1",
                id="reports-figures",
            ),
            html.P(note, className="text-muted small mb-0"),
        ]
    )


_CARD = {key: label for key, label, _path, _kind in CARDS}
# What a supervisor reads over each column of the preview: the Outcomes page's card and cohort
# words for the figures it also shows, the client page's signal titles for the signals. The
# file keeps its column names; each header's tooltip gives the name and what it means.
HEADERS: dict[str, str] = {
    "program": "Program",
    "counselor": "Counselor",
    "period_start": "From",
    "period_end": "To",
    "census_end": _CARD["census"],
    "admissions": _CARD["admissions"],
    "discharges": _CARD["discharges"],
    "retention_30": "Retained 30 days",
    "retention_60": "Retained 60 days",
    "retention_90": "Retained 90 days",
    "adherence": _CARD["adherence"],
    "abstinence": _CARD["abstinence"],
    "screens_negative": _CARD["screens"],
    "high_risk_share": "High or critical days",
    "followup_24h": _CARD["followup"],
    "followup_median_hours": _CARD["median"],
    "pseudonym": "Client (pseudonym)",
    "age_band": "Age band",
    "sex": "Sex",
    "zip3": "ZIP3",
    "admission_year": "Admitted (year)",
    "admission_date": "Admitted (shifted date)",
    "date": "Date (shifted)",
    "expected": "Check-ins expected",
    "received": "Check-ins received",
    "missed": "Check-ins missed",
    "missed_streak": "Missed in a row",
    **SIGNAL_TITLES,
    "used": "Use reported",
    "screen_positive": "Positive screen",
    "trigger_count": "Triggers",
    "support_contact": "Support contact",
    "adherence_7d": "Adherence (7 days)",
    "risk_score": "Risk score",
    "risk_tier": "Risk tier",
}


def header(column: str, summary: dict) -> str:
    if column == "period":  # a calendar period of the report, or time since admission
        if summary.get("level") == "aggregate":
            return "Period"
        return "Weeks since admission" if summary.get("grain") == "week" else "Days since admission"
    return HEADERS.get(column, column)


def preview_table(frame: pd.DataFrame, docs: dict[str, str], summary: dict) -> html.Div:
    """The first rows the file will hold, under headers in words, shares as percentages; each
    header's tooltip gives the file's column name and what it means (the file's column sheet)."""
    rows = frame.head(PREVIEW_ROWS)
    head = html.Thead(
        html.Tr(
            [
                html.Th(header(c, summary), scope="col", title=f"{c}: {docs.get(c, '')}")
                for c in rows.columns
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr([html.Td(cell(c, v)) for c, v in zip(rows.columns, row, strict=True)])
            for row in rows.itertuples(index=False)
        ]
    )
    return html.Div(
        [
            html.H2(f"First {len(rows)} of {len(frame)} rows", className="h6"),
            dbc.Table(
                [head, body],
                size="sm",
                striped=True,
                responsive=True,
                className="reports-table small",
            ),
            html.P(
                f"{BLANK} no data for the period (e.g. nobody admitted long enough ago for a "
                f"retention figure) · {SUPPRESSED} suppressed. Shares are percentages here; "
                "the file holds them as fractions (0.88 = 88%).",
                className="text-muted small mb-0",
            ),
        ]
    )


BLANK = "—"
# Columns the file holds as a share between 0 and 1 (the median of hours is not one).
SHARES = frozenset(RATES) - {"followup_median_hours"} | {"adherence_7d"}


def cell(column: str, v) -> str:
    """One preview value as a supervisor reads it: 88% for a share of 0.88, hours with one
    decimal, a dash for a figure the period has no data for, * kept as the file's mark."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return BLANK
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return str(v)
    if column in SHARES:
        return f"{float(v):.0%}"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


@page_callback(
    Output("reports-summary", "children"),
    Output("reports-preview", "children"),
    Output("reports-status", "children", allow_duplicate=True),
    Input("reports-preview-btn", "n_clicks"),
    *CONTROLS,
    permission=EXPORT_ANONYMIZED,
    prevent_initial_call=True,
)
def show_preview(view: View, _clicks, *controls):
    request, message = _request(view, _values(*controls))
    if request is None:
        return html.Div(), html.Div(), message
    try:
        prepared = view.run(export_cmd.preview, request=request)
    except AccessDenied as exc:
        view.deny(str(exc), program=request.program_id[:64])
        return html.Div(), html.Div(), "No program to export."
    except ExportRefused as exc:
        return html.Div(), html.Div(), f"Not released: {exc}"
    view.audit_view(
        f"deidentified_{request.level}_preview",
        detail={
            "program": request.program_id,
            "rows": prepared.summary["rows"],
            "from": request.start.isoformat(),
            "to": request.end.isoformat(),
        },
    )
    return (
        summary_panel(prepared.summary),
        preview_table(prepared.frame, prepared.docs, prepared.summary),
        "",
    )


@page_callback(
    Output("reports-download", "data"),
    Output("reports-status", "children"),
    Input("reports-download-btn", "n_clicks"),
    *CONTROLS,
    permission=EXPORT_ANONYMIZED,
    prevent_initial_call=True,
)
def download(view: View, _clicks, *controls):
    request, message = _request(view, _values(*controls))
    if request is None:
        return no_update, message
    try:
        result = view.run(export_cmd.download, request=request)
    except AccessDenied as exc:
        view.deny(str(exc), program=request.program_id[:64])
        return no_update, "No program to export."
    except ExportRefused as exc:
        return no_update, f"Not released: {exc}"
    sha = result.summary["sha256"][:12]
    return (
        dcc.send_bytes(result.content, result.filename),
        f"Downloaded {result.filename} (recorded in the audit log, SHA-256 {sha}…).",
    )

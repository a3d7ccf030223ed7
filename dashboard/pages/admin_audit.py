"""The audit log (``/admin/audit``, ``view_audit``): filters, server-side pages, a CSV of the
filtered rows (the download is itself audited), and the chain's last verification with a
button to run it again. Read-only: no callback here edits or deletes a row."""

from __future__ import annotations

import csv
import datetime as dt
import io

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.auth.permissions import VIEW_AUDIT
from dashboard.commands.audit_verify import run_verification
from dashboard.kit import View, page_callback, register_page
from dashboard.read import audit_log as read_audit
from etl.audit import ACTIONS

register_page(
    __name__,
    path="/admin/audit",
    name="Audit log",
    title="Audit log · Caseload",
    permission=VIEW_AUDIT,
    order=21,
)

GRID_COLUMNS = [
    {"field": "event_id", "headerName": "#", "width": 80},
    {"field": "occurred_at", "headerName": "Time (UTC)", "width": 190},
    {"field": "username", "headerName": "User", "width": 120},
    {"field": "role", "headerName": "Role", "width": 105},
    {"field": "action", "headerName": "Action", "width": 120},
    {"field": "outcome", "headerName": "Outcome", "width": 100},
    {"field": "category", "headerName": "Category", "width": 120},
    {"field": "route", "headerName": "Route", "flex": 1, "minWidth": 160},
    {"field": "client_keys", "headerName": "Client keys", "width": 130},
    {"field": "source_address", "headerName": "Address", "width": 120},
    {"field": "detail", "headerName": "Detail", "flex": 1, "minWidth": 200},
]
FILTER_IDS = ("audit-user", "audit-client", "audit-action", "audit-outcome")


def layout(**_kwargs):
    filters = dbc.Row(
        [
            dbc.Col(dbc.Input(id="audit-user", placeholder="User name", debounce=True), xs=6, md=2),
            dbc.Col(
                dbc.Input(
                    id="audit-client", placeholder="Client key", type="number", debounce=True
                ),
                xs=6,
                md=2,
            ),
            dbc.Col(
                dcc.Dropdown(sorted(ACTIONS), id="audit-action", placeholder="Any action"),
                xs=6,
                md=2,
            ),
            dbc.Col(
                dcc.Dropdown(
                    list(read_audit.OUTCOMES), id="audit-outcome", placeholder="Any outcome"
                ),
                xs=6,
                md=2,
            ),
            dbc.Col(
                dcc.DatePickerRange(
                    id="audit-days",
                    start_date_placeholder_text="From",
                    end_date_placeholder_text="To",
                    clearable=True,
                ),
                xs=12,
                md=4,
            ),
        ],
        className="g-2 mb-2",
    )
    pager = html.Div(
        [
            dbc.Button("‹ Newer", id="audit-prev", size="sm", color="secondary", outline=True),
            html.Span(id="audit-range", className="mx-2 small"),
            dbc.Button("Older ›", id="audit-next", size="sm", color="secondary", outline=True),
            dbc.Button(
                [html.I(className="bi bi-download me-1"), "CSV of these rows"],
                id="audit-csv",
                size="sm",
                color="primary",
                className="ms-3",
            ),
            dcc.Download(id="audit-download"),
        ],
        className="d-flex align-items-center flex-wrap gap-1 mb-2",
    )
    verification = dbc.Alert(
        [
            html.Span(id="audit-verification"),
            dbc.Button(
                "Verify the chain now",
                id="audit-verify",
                size="sm",
                color="dark",
                outline=True,
                className="ms-3",
            ),
        ],
        color="light",
        className="py-2 d-flex align-items-center flex-wrap gap-2 justify-content-between",
    )
    return html.Div(
        [
            html.H1("Audit log", className="h4"),
            verification,
            filters,
            pager,
            dag.AgGrid(
                id="audit-grid",
                columnDefs=GRID_COLUMNS,
                rowData=[],
                getRowId="params.data.event_id",
                defaultColDef={"resizable": True},
                dashGridOptions={"animateRows": False, "suppressCellFocus": True},
                className="ag-theme-quartz",
                style={"height": "calc(100vh - 330px)", "minHeight": "300px"},
            ),
            dcc.Store(id="audit-page", data=0),
            dcc.Store(id="audit-verified", data=0),
        ],
        id="audit-page-root",
    )


def _day(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _filters(user, client, action, outcome, start, end) -> read_audit.Filters:
    user = user.strip()[:64] if isinstance(user, str) and user.strip() else None
    client = client if type(client) is int else None
    return read_audit.Filters(
        username=user,
        client_key=client,
        action=action if action in ACTIONS else None,
        outcome=outcome if outcome in read_audit.OUTCOMES else None,
        day_from=_day(start),
        day_to=_day(end),
    )


FILTER_INPUTS = [
    Input("audit-user", "value"),
    Input("audit-client", "value"),
    Input("audit-action", "value"),
    Input("audit-outcome", "value"),
    Input("audit-days", "start_date"),
    Input("audit-days", "end_date"),
]
FILTER_STATE = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]


@page_callback(
    Output("audit-page", "data"),
    Input("audit-prev", "n_clicks"),
    Input("audit-next", "n_clicks"),
    *FILTER_INPUTS,
    State("audit-page", "data"),
    permission=VIEW_AUDIT,
    prevent_initial_call=True,
)
def turn_page(_view: View, _prev, _next, *args):
    from dash import ctx

    current = args[-1] if type(args[-1]) is int else 0
    if ctx.triggered_id == "audit-next":
        return current + 1
    if ctx.triggered_id == "audit-prev":
        return max(0, current - 1)
    return 0  # a filter changed: back to the newest rows


@page_callback(
    Output("audit-grid", "rowData"),
    Output("audit-range", "children"),
    Input("audit-page", "data"),
    Input("audit-verified", "data"),
    *FILTER_STATE,
    permission=VIEW_AUDIT,
)
def show_page(view: View, page_no, _verified, *filter_values):
    page_no = page_no if type(page_no) is int and page_no >= 0 else 0
    f = _filters(*filter_values)
    rows, total = read_audit.page(view.conn, f, page_no)
    view.audit_view("audit_log", detail={"page": page_no, "rows": len(rows), **f.as_detail()})
    first = page_no * read_audit.PAGE_SIZE
    label = f"rows {first + 1}–{first + len(rows)} of {total}" if rows else f"no rows of {total}"
    return rows, label


@page_callback(
    Output("audit-download", "data"),
    Input("audit-csv", "n_clicks"),
    *FILTER_STATE,
    permission=VIEW_AUDIT,
    prevent_initial_call=True,
)
def download(view: View, _clicks, *filter_values):
    f = _filters(*filter_values)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(read_audit.COLUMNS))
    writer.writeheader()
    n = 0
    for row in read_audit.export_rows(view.conn, f):
        writer.writerow({k: _cell(v) for k, v in row.items()})
        n += 1
    view.audit_view("audit_log", action="export", detail={"rows": n, **f.as_detail()})
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return {"content": buffer.getvalue(), "filename": f"audit-log-{stamp}.csv", "type": "text/csv"}


def _cell(value):
    """No spreadsheet formulas from request-borne text (a forged route or user name)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@page_callback(
    Output("audit-verification", "children"),
    Input("audit-verified", "data"),
    permission=VIEW_AUDIT,
)
def show_verification(view: View, _verified):
    last = read_audit.last_verification(view.conn)
    if last is None:
        return "The chain has not been verified yet."
    when = last["at"].isoformat(sep=" ", timespec="minutes")
    if last.get("ok"):
        return f"Last verified {when} UTC by {last['by']}: intact, {last['checked']} rows."
    return (
        f"Last verified {when} UTC by {last['by']}: NOT intact at event {last.get('first_bad')}"
        f" ({last.get('problem')})."
    )


@page_callback(
    Output("audit-verified", "data"),
    Input("audit-verify", "n_clicks"),
    State("audit-verified", "data"),
    permission=VIEW_AUDIT,
    prevent_initial_call=True,
)
def verify_now(view: View, _clicks, count):
    view.run(run_verification)
    return (count if type(count) is int else 0) + 1

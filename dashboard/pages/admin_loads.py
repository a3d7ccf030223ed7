"""Data loads (``/admin/loads``, ``view_audit``): each file with its counts, filters by kind,
status and day, a load's quarantined rows (identifier values masked by the read layer), and
Retry, the same retry as ``caseload ingest --retry-quarantine`` for that load."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.auth.permissions import VIEW_AUDIT
from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.commands.retry_load import retry_load
from dashboard.components.grid import DEFAULT_COL_DEF, date_column
from dashboard.components.messages import plural
from dashboard.kit import View, page_callback, register_page
from dashboard.read import loads as read_loads
from dashboard.read.freshness import KIND_LABELS

register_page(
    __name__,
    path="/admin/loads",
    name="Loads",
    title="Loads · Caseload",
    permission=VIEW_AUDIT,
    order=20,
)

COUNT_COLUMNS = ("read", "inserted", "updated", "unchanged", "rejected") + (
    ("skipped",) if read_loads.HAS_SKIPPED else ()
)
# Status and counts first: they are what an admin scans for; times and format after.
LOAD_COLUMNS = [
    {"field": "load_id", "headerName": "#", "width": 60},
    # The file name carries its format (.csv, .ndjson, .json): no column of its own.
    {"field": "file", "headerName": "File", "flex": 2, "minWidth": 120, "tooltipField": "file"},
    {"field": "kind", "headerName": "Kind", "width": 100},
    {"field": "status", "headerName": "Status", "width": 90},
    *[
        {
            "field": c,
            "headerName": c.capitalize(),
            "width": 100 if c == "unchanged" else 86,
            "type": "numericColumn",
        }
        for c in COUNT_COLUMNS
    ],
    {"field": "open_rows", "headerName": "Open", "width": 72, "type": "numericColumn"},
    date_column("started", "Started (UTC)", width=130),
    {"field": "took", "headerName": "Took", "width": 75},
    {"field": "error", "headerName": "Error", "flex": 2, "minWidth": 110, "tooltipField": "error"},
]
QUARANTINE_COLUMNS = [
    {"field": "line", "headerName": "Line", "width": 80},
    {"field": "json_path", "headerName": "JSON path", "width": 160},
    {"field": "column", "headerName": "Column", "width": 140},
    {
        "field": "reason",
        "headerName": "Reason",
        "flex": 3,
        "minWidth": 220,
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "grid-wrapped",
    },
    {"field": "value", "headerName": "Value", "flex": 1, "minWidth": 140},
    {"field": "status", "headerName": "Status", "width": 100},
]


def _grid(grid_id: str, columns: list, height: str, row_id: str, **options) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        getRowId=row_id,
        defaultColDef=DEFAULT_COL_DEF,
        dashGridOptions={"animateRows": False, "suppressCellFocus": True, **options},
        className="ag-theme-quartz caseload-grid",
        style={"height": height, "minHeight": "220px"},
    )


def layout(**_kwargs):
    kind_options = [{"label": v, "value": k} for k, v in KIND_LABELS.items()]
    status_options = [{"label": s, "value": s} for s in read_loads.STATUSES]
    filters = dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(kind_options, id="loads-kind", placeholder="Any kind"), xs=12, md=3
            ),
            dbc.Col(
                dcc.Dropdown(status_options, id="loads-status", placeholder="Any status"),
                xs=12,
                md=3,
            ),
            dbc.Col(
                dcc.DatePickerRange(
                    id="loads-days",
                    start_date_placeholder_text="From",
                    end_date_placeholder_text="To",
                    clearable=True,
                ),
                xs=12,
                md=6,
            ),
        ],
        className="g-2 mb-2",
    )
    return html.Div(
        [
            html.H1("Data loads", className="h4"),
            filters,
            _grid("loads-grid", LOAD_COLUMNS, "40vh", "params.data.load_id", rowSelection="single"),
            html.Div(
                [
                    html.H2("Quarantined rows", className="h5 mt-3 d-inline-block me-3"),
                    dbc.Button(
                        "Retry this load",
                        id="loads-retry",
                        color="primary",
                        size="sm",
                        disabled=True,
                    ),
                    html.Span(id="loads-retry-result", className="ms-3 small"),
                ],
            ),
            html.P(
                "Pick a load above. Values of identifier columns are hidden.",
                id="loads-hint",
                className="text-muted small mb-1",
            ),
            _grid("loads-quarantine", QUARANTINE_COLUMNS, "35vh", "params.data.quarantine_id"),
            dcc.Store(id="loads-refresh", data=0),
        ],
        id="loads-page",
    )


def _day(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _load_id(selected) -> int | None:
    if isinstance(selected, list) and selected and isinstance(selected[0], dict):
        value = selected[0].get("load_id")
        return value if type(value) is int else None
    return None


@page_callback(
    Output("loads-grid", "rowData"),
    Input("loads-kind", "value"),
    Input("loads-status", "value"),
    Input("loads-days", "start_date"),
    Input("loads-days", "end_date"),
    Input("loads-refresh", "data"),
    permission=VIEW_AUDIT,
)
def list_loads(view: View, kind, status, start, end, _refresh):
    kind = kind if kind in KIND_LABELS else None
    status = status if status in read_loads.STATUSES else None
    rows = read_loads.loads(
        view.conn, kind=kind, status=status, day_from=_day(start), day_to=_day(end)
    )
    view.audit_view("etl_loads", detail={"rows": len(rows)})
    return rows


@page_callback(
    Output("loads-quarantine", "rowData"),
    Output("loads-retry", "disabled"),
    Output("loads-hint", "children"),
    Input("loads-grid", "selectedRows"),
    Input("loads-refresh", "data"),
    permission=VIEW_AUDIT,
)
def show_quarantine(view: View, selected, _refresh):
    load_id = _load_id(selected)
    if load_id is None:
        return [], True, "Pick a load above. Values of identifier columns are hidden."
    rows = read_loads.quarantined(view.conn, load_id)
    view.audit_view("etl_quarantine", detail={"load_id": load_id, "rows": len(rows)})
    still_open = sum(1 for r in rows if r["status"] == "open")
    hint = f"Load {load_id}: {plural(len(rows), 'quarantined row')}, {still_open} still open."
    return rows, still_open == 0, hint


@page_callback(
    Output("loads-retry-result", "children"),
    Output("loads-refresh", "data"),
    Input("loads-retry", "n_clicks"),
    State("loads-grid", "selectedRows"),
    State("loads-refresh", "data"),
    permission=VIEW_AUDIT,
    prevent_initial_call=True,
)
def retry(view: View, _clicks, selected, refresh):
    load_id = _load_id(selected)
    if load_id is None:
        return "Pick a load first.", refresh
    try:
        counts = view.run(retry_load, load_id=load_id)
    except (AccessDenied, InvalidInput) as exc:
        return str(exc), refresh
    text = (
        f"Retried load {load_id}: read {counts['read']} = inserted {counts['inserted']}"
        f" + updated {counts['updated']} + unchanged {counts['unchanged']}"
        f" + rejected {counts['rejected']}" + (" (the retry failed)" if counts["failed"] else "")
    )
    return text, (refresh or 0) + 1

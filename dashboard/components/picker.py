"""The "Caseload of" picker: a supervisor chooses among their program's counselors; a
counselor has only their own caseload and never sees the picker. The value it sends back is a
request, checked again by every callback that reads with it (``View.counselor``)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard.auth.permissions import VIEW_CASELOAD
from dashboard.kit import View, page_callback
from dashboard.read import today as read_today


def counselor_picker(prefix: str) -> dbc.Col:
    return dbc.Col(
        html.Div(
            [
                dbc.Label(
                    "Caseload of", html_for=f"{prefix}-counselor", className="me-2 mb-0 small"
                ),
                dcc.Dropdown(
                    id=f"{prefix}-counselor", clearable=False, className="counselor-picker"
                ),
            ],
            id=f"{prefix}-counselor-wrap",
            className="d-none align-items-center",
        ),
        className="ms-auto",
        width="auto",
    )


def picker_callback(prefix: str, page_id: str) -> None:
    @page_callback(
        Output(f"{prefix}-counselor", "options"),
        Output(f"{prefix}-counselor", "value"),
        Output(f"{prefix}-counselor-wrap", "className"),
        Input(page_id, "id"),
        permission=VIEW_CASELOAD,
    )
    def fill_picker(view: View, _page_id):
        staff = read_today.counselors(view.conn, view.scope)
        default = read_today.default_counselor(view.conn, view.scope)
        options = [
            {"label": f"{r.first_name} {r.last_name}", "value": int(r.staff_key)}
            for r in staff.itertuples(index=False)
        ]
        visible = "d-flex align-items-center" if view.scope.sees_program else "d-none"
        return options, default, visible

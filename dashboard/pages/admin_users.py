"""Users and roles (``/admin/users``, ``manage_users``): every login with its role, program,
staff record, last sign-in and state; add a login, disable and re-enable it, reset its
password, change its role or program.

Every change is one of the commands ``caseload users`` runs (``dashboard.commands.users``), so
the page refuses what the command line refuses (the last active administrator stays) with the
same message. Disabling and changing access ask first (a confirm dialog), since both end the
user's sessions. A temporary password is shown once, in the result line, and nowhere else: no
store, no URL, no log.
"""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from flask import current_app

from dashboard.auth.permissions import MANAGE_USERS, ROLES
from dashboard.auth.throttle import ACCOUNT, throttle_keys, utcnow
from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.commands.users import (
    admin_command,
    change_access,
    create_user,
    disable_user,
    enable_user,
    set_password,
)
from dashboard.components import grid
from dashboard.components.messages import sentence
from dashboard.kit import View, page_callback, register_page
from dashboard.read import users as read_users

register_page(
    __name__,
    path="/admin/users",
    name="Users",
    title="Users · Caseload",
    permission=MANAGE_USERS,
    order=10,
)

ROLE_OPTIONS = [{"label": r.capitalize(), "value": r} for r in ROLES]
# Minimum widths that add up to less than the list's column at 1366 px (about 870 px), so the
# list never scrolls sideways on a laptop; the flexible columns share what is left over.
COLUMNS = [
    {"field": "username", "headerName": "Username", "pinned": "left", "width": 130},
    {"field": "role", "headerName": "Role", "width": 95},
    {
        "field": "program",
        "headerName": "Program",
        "flex": 1,
        "minWidth": 110,
        "tooltipField": "program",
    },
    {
        "field": "staff",
        "headerName": "Staff record",
        "flex": 1,
        "minWidth": 130,
        "tooltipField": "staff",
    },
    grid.date_column("last_login", "Last sign-in", width=165),
    {"field": "state", "headerName": "State", "flex": 1, "minWidth": 160, "tooltipField": "state"},
]
ROW_HEIGHT = grid.GRID_OPTIONS["rowHeight"]
NOTHING_PICKED = "Pick a login in the list to change it."


def _field(label: str, component, help_text: str | None = None) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=component.id, className="small mb-0"),
            component,
            html.Div(help_text, className="form-text") if help_text else None,
        ],
        className="mb-2",
    )


def _binding_fields(prefix: str) -> list:
    return [
        _field("Role", dcc.Dropdown(ROLE_OPTIONS, id=f"{prefix}-role", clearable=False)),
        _field(
            "Staff record",
            dcc.Dropdown([], id=f"{prefix}-staff", placeholder="None"),
            "Counselors need one: it is their caseload.",
        ),
        _field(
            "Program",
            dcc.Dropdown([], id=f"{prefix}-program", placeholder="From the staff record"),
            "Supervisors and admins without a staff record need one.",
        ),
    ]


def _selected_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Selected login", className="h6"),
                html.P(NOTHING_PICKED, id="users-selected", className="small text-muted"),
                *_binding_fields("users-edit"),
                html.Div(
                    [
                        dbc.Button(
                            "Save role and program",
                            id="users-save-access",
                            color="primary",
                            size="sm",
                            disabled=True,
                        ),
                        dbc.Button(
                            "Reset password",
                            id="users-reset",
                            color="secondary",
                            outline=True,
                            size="sm",
                            disabled=True,
                        ),
                        dbc.Button(
                            "Disable",
                            id="users-toggle",
                            color="danger",
                            outline=True,
                            size="sm",
                            disabled=True,
                        ),
                    ],
                    className="d-flex flex-wrap gap-2",
                ),
            ]
        ),
        className="mb-3",
    )


def _add_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Add a login", className="h6"),
                _field(
                    "Username",
                    dbc.Input(id="users-add-username", type="text", maxLength=64, size="sm"),
                ),
                *_binding_fields("users-add"),
                dbc.Button("Add login", id="users-add", color="primary", size="sm"),
                html.Div(
                    "Caseload picks a temporary password, shown once; it is changed at the "
                    "first sign-in.",
                    className="form-text",
                ),
            ]
        )
    )


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [
            html.H1("Users and roles", className="h4"),
            html.P(
                "Every change ends the user's open sessions and is audited. The last active "
                "administrator cannot be disabled or demoted.",
                className="text-muted small mb-2",
            ),
            html.Div(id="users-result", role="status", **{"aria-live": "polite"}),
            dbc.Row(
                [
                    dbc.Col(
                        dag.AgGrid(
                            id="users-grid",
                            columnDefs=COLUMNS,
                            defaultColDef=grid.DEFAULT_COL_DEF,
                            rowData=[],
                            getRowId="params.data.username",
                            dashGridOptions={
                                **grid.GRID_OPTIONS,
                                "rowSelection": {
                                    "mode": "singleRow",
                                    "checkboxes": False,
                                    "enableClickSelection": True,
                                },
                            },
                            className="ag-theme-quartz caseload-grid",
                            style=grid.fitted_height(0, ROW_HEIGHT, chrome="260px"),
                        ),
                        lg=8,
                        className="mb-3",
                    ),
                    dbc.Col([_selected_card(), _add_card()], lg=4),
                ],
                className="g-3",
            ),
            dcc.ConfirmDialog(id="users-confirm-disable"),
            dcc.ConfirmDialog(id="users-confirm-access"),
            dcc.Store(id="users-refresh", data=0),
        ],
        id="users-page",
    )


def _rows(view: View) -> list[dict]:
    cfg = current_app.config
    window = dt.timedelta(minutes=cfg["CASELOAD_LOGIN_WINDOW_MINUTES"])
    return read_users.users(
        view.conn,
        view.scope,
        account_key=lambda name: throttle_keys(name, "-")[ACCOUNT],
        window_since=utcnow() - window,
        delayed_after=cfg["CASELOAD_LOGIN_ACCOUNT_BACKOFF_AFTER"],
    )


def _picked(selected) -> str | None:
    """The username of the row the browser says is selected (the command re-checks it)."""
    if isinstance(selected, list) and selected and isinstance(selected[0], dict):
        name = selected[0].get("username")
        return name[:64] if isinstance(name, str) and name else None
    return None


def _text(value) -> str | None:
    return value.strip()[:64] or None if isinstance(value, str) else None


def _done(text: str, *extra) -> dbc.Alert:
    return dbc.Alert([text, *extra], color="success", className="py-2 small", dismissable=True)


def _refused(exc: Exception) -> dbc.Alert:
    return dbc.Alert(sentence(exc), color="danger", className="py-2 small", dismissable=True)


def _temporary(username: str, password: str) -> dbc.Alert:
    return _done(
        f"Temporary password for {username}, shown only now: ",
        html.Code(password, id="users-temporary", className="fs-6 user-select-all"),
        html.Span(" It must be changed at the first sign-in.", className="ms-1"),
    )


def _run(view: View, change, refresh, **kwargs):
    """One command; its refusal becomes the result line. Returns (result, refresh)."""
    try:
        return view.run(admin_command(change), **kwargs), (refresh or 0) + 1
    except (AccessDenied, InvalidInput) as exc:
        return exc, refresh


@page_callback(
    Output("users-grid", "rowData"),
    Output("users-grid", "style"),
    Output("users-add-staff", "options"),
    Output("users-add-program", "options"),
    Output("users-edit-staff", "options"),
    Output("users-edit-program", "options"),
    Input("users-refresh", "data"),
    permission=MANAGE_USERS,
)
def list_users(view: View, _refresh):
    rows = _rows(view)
    staff, programs = read_users.staff(view.conn), read_users.programs(view.conn)
    view.audit_view("users", detail={"rows": len(rows)})
    # One row more than listed: room for the horizontal scroll bar on a narrow screen.
    height = grid.fitted_height(len(rows) + 1, ROW_HEIGHT, chrome="260px")
    return rows, height, staff, programs, staff, programs


@page_callback(
    Output("users-selected", "children"),
    Output("users-edit-role", "value"),
    Output("users-edit-staff", "value"),
    Output("users-edit-program", "value"),
    Output("users-toggle", "children"),
    Output("users-save-access", "disabled"),
    Output("users-reset", "disabled"),
    Output("users-toggle", "disabled"),
    Input("users-grid", "selectedRows"),
    Input("users-refresh", "data"),
    permission=MANAGE_USERS,
)
def show_selected(view: View, selected, _refresh):
    name = _picked(selected)
    row = next((r for r in _rows(view) if r["username"] == name), None) if name else None
    if row is None:
        return NOTHING_PICKED, None, None, None, "Disable", True, True, True
    toggle = "Disable" if row["is_active"] else "Enable"
    text = f"{row['username']} · {row['role']} · {row['state']}"
    return text, row["role"], row["staff_id"], row["program_id"], toggle, False, False, False


@page_callback(
    Output("users-result", "children", allow_duplicate=True),
    Output("users-refresh", "data", allow_duplicate=True),
    Input("users-add", "n_clicks"),
    State("users-add-username", "value"),
    State("users-add-role", "value"),
    State("users-add-staff", "value"),
    State("users-add-program", "value"),
    State("users-refresh", "data"),
    permission=MANAGE_USERS,
    prevent_initial_call=True,
)
def add_login(view: View, _clicks, username, role, staff_id, program_id, refresh):
    if _text(username) is None or role not in ROLES:
        return _refused(InvalidInput("give a username and a role")), refresh
    login, refresh = _run(
        view,
        create_user,
        refresh,
        username=_text(username),
        role=role,
        staff_id=_text(staff_id),
        program_id=_text(program_id),
    )
    if isinstance(login, Exception):
        return _refused(login), refresh
    return _temporary(login.username, login.temporary_password), refresh


@page_callback(
    Output("users-result", "children", allow_duplicate=True),
    Output("users-refresh", "data", allow_duplicate=True),
    Input("users-reset", "n_clicks"),
    State("users-grid", "selectedRows"),
    State("users-refresh", "data"),
    permission=MANAGE_USERS,
    prevent_initial_call=True,
)
def reset_password(view: View, _clicks, selected, refresh):
    name = _picked(selected)
    if name is None:
        return _refused(InvalidInput(NOTHING_PICKED)), refresh
    password, refresh = _run(view, set_password, refresh, username=name)
    if isinstance(password, Exception):
        return _refused(password), refresh
    return _temporary(name, password), refresh


@page_callback(
    Output("users-confirm-disable", "displayed"),
    Output("users-confirm-disable", "message"),
    Output("users-result", "children", allow_duplicate=True),
    Output("users-refresh", "data", allow_duplicate=True),
    Input("users-toggle", "n_clicks"),
    State("users-grid", "selectedRows"),
    State("users-refresh", "data"),
    permission=MANAGE_USERS,
    prevent_initial_call=True,
)
def toggle(view: View, _clicks, selected, refresh):
    """Disable asks first; re-enabling a disabled login does not."""
    name = _picked(selected)
    row = next((r for r in _rows(view) if r["username"] == name), None) if name else None
    if row is None:
        return False, no_update, _refused(InvalidInput(NOTHING_PICKED)), refresh
    if row["is_active"]:
        message = f"Disable {name}? They are signed out at their next click and cannot sign in."
        return True, message, no_update, refresh
    done, refresh = _run(view, enable_user, refresh, username=name)
    if isinstance(done, Exception):
        return False, no_update, _refused(done), refresh
    return False, no_update, _done(f"{name} is enabled again."), refresh


@page_callback(
    Output("users-result", "children", allow_duplicate=True),
    Output("users-refresh", "data", allow_duplicate=True),
    Input("users-confirm-disable", "submit_n_clicks"),
    State("users-grid", "selectedRows"),
    State("users-refresh", "data"),
    permission=MANAGE_USERS,
    prevent_initial_call=True,
)
def disable(view: View, _submitted, selected, refresh):
    name = _picked(selected)
    if name is None:
        return _refused(InvalidInput(NOTHING_PICKED)), refresh
    done, refresh = _run(view, disable_user, refresh, username=name)
    if isinstance(done, Exception):
        return _refused(done), refresh
    return _done(f"{name} is disabled; their sessions have ended."), refresh


@page_callback(
    Output("users-confirm-access", "displayed"),
    Output("users-confirm-access", "message"),
    Input("users-save-access", "n_clicks"),
    State("users-grid", "selectedRows"),
    State("users-edit-role", "value"),
    permission=MANAGE_USERS,
    prevent_initial_call=True,
)
def ask_access(view: View, _clicks, selected, role):
    name = _picked(selected)
    if name is None or role not in ROLES:
        return False, no_update
    return True, f"Make {name} a {role}? Their open sessions end at their next click."


@page_callback(
    Output("users-result", "children", allow_duplicate=True),
    Output("users-refresh", "data", allow_duplicate=True),
    Input("users-confirm-access", "submit_n_clicks"),
    State("users-grid", "selectedRows"),
    State("users-edit-role", "value"),
    State("users-edit-staff", "value"),
    State("users-edit-program", "value"),
    State("users-refresh", "data"),
    permission=MANAGE_USERS,
    prevent_initial_call=True,
)
def save_access(view: View, _submitted, selected, role, staff_id, program_id, refresh):
    name = _picked(selected)
    if name is None or role not in ROLES:
        return _refused(InvalidInput(NOTHING_PICKED)), refresh
    done, refresh = _run(
        view,
        change_access,
        refresh,
        username=name,
        role=role,
        staff_id=_text(staff_id),
        program_id=_text(program_id),
    )
    if isinstance(done, Exception):
        return _refused(done), refresh
    return _done(f"{name} is now a {role}; their sessions have ended."), refresh

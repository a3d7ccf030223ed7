"""The contact dialog, one for every page that logs contacts (Today, Missed).

``contact_dialog(prefix)`` is the layout; ``contact_callbacks(prefix, grid_id, ...)``
registers its callbacks through the kit for that page's grid. Opening it re-resolves the
clicked client through the caller's scope and names the client and the flag the contact will
answer (day, tier, top reason) from the warehouse, never from what the browser sent. Nothing
is pre-selected for the outcome and Save stays disabled until one is chosen (in the
browser), so a contact that never happened cannot be recorded with one click; the
``log_followup`` command checks it again.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth.permissions import LOG_FOLLOWUP
from dashboard.commands import (
    FOLLOWUP_METHODS,
    FOLLOWUP_OUTCOMES,
    AccessDenied,
    InvalidInput,
    log_followup,
)
from dashboard.figures.palette import TIER_LABELS
from dashboard.kit import View, page_callback
from dashboard.read import client as read_client
from dashboard.triage import reason_line, reasons_list


def _id(prefix: str, part: str) -> str:
    return f"{prefix}-contact-{part}"


def contact_dialog(prefix: str) -> html.Div:
    return html.Div(
        [
            dcc.Store(id=_id(prefix, "target")),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Log a contact", id=_id(prefix, "title"))),
                    dbc.ModalBody(
                        [
                            html.P(id=_id(prefix, "flag"), className="small text-muted mb-3"),
                            dbc.Label("How", html_for=_id(prefix, "method")),
                            dbc.RadioItems(
                                id=_id(prefix, "method"),
                                options=[
                                    {"label": v, "value": k} for k, v in FOLLOWUP_METHODS.items()
                                ],
                                value="call",
                                inline=True,
                                className="mb-3",
                            ),
                            dbc.Label("Outcome", html_for=_id(prefix, "outcome")),
                            dbc.RadioItems(
                                id=_id(prefix, "outcome"),
                                options=[
                                    {"label": v, "value": k} for k, v in FOLLOWUP_OUTCOMES.items()
                                ],
                                value=None,
                                className="mb-3 contact-outcomes",
                            ),
                            dbc.Label(
                                "Note (optional, stays in the record)",
                                html_for=_id(prefix, "note"),
                            ),
                            dbc.Textarea(
                                id=_id(prefix, "note"),
                                maxLength=1000,
                                rows=3,
                                placeholder="Short note",
                            ),
                        ]
                    ),
                    dbc.ModalFooter(
                        [
                            dbc.Button(
                                "Cancel", id=_id(prefix, "cancel"), color="secondary", outline=True
                            ),
                            dbc.Button(
                                "Save contact",
                                id=_id(prefix, "save"),
                                color="primary",
                                disabled=True,
                            ),
                        ]
                    ),
                ],
                id=_id(prefix, "modal"),
                is_open=False,
            ),
        ]
    )


def _bump(refresh) -> int:
    """The next value of the page's reload counter (the browser's copy may be anything)."""
    return refresh + 1 if type(refresh) is int and 0 <= refresh < 2**31 else 1


def flag_text(flag) -> str:
    """'Answers the flag of Thu Nov 26: High (62), slept under 6 h on 4 of the last 7 nights'."""
    if flag is None:
        return "No risk flag on file yet: the contact is recorded without one."
    tier = TIER_LABELS.get(flag["tier"], flag["tier"] or "not scored")
    top = next((reason_line(r) for r in reasons_list(flag["reasons"])), "")
    why = f", {top[:1].lower()}{top[1:]}" if top else ""
    return f"Answers the flag of {flag['date']:%a %b %-d}: {tier} ({flag['score']:.0f}){why}."


def contact_callbacks(
    prefix: str,
    grid_id: str | None,
    refresh_id: str,
    toast_id: str,
    trigger: tuple[str, str] | None = None,
) -> None:
    """Register the dialog's callbacks for one page's grid (a row's ``contact`` action), or for
    ``trigger`` (an ``(id, property)`` holding the same ``{"value": "contact", "rowId": id}``,
    as the client page's button writes it)."""
    source = trigger or (grid_id, "cellRendererData")

    @page_callback(
        Output(_id(prefix, "modal"), "is_open"),
        Output(_id(prefix, "target"), "data"),
        Output(_id(prefix, "title"), "children"),
        Output(_id(prefix, "flag"), "children"),
        Output(_id(prefix, "outcome"), "value"),
        Output(_id(prefix, "note"), "value"),
        Input(*source),
        prevent_initial_call=True,
        permission=LOG_FOLLOWUP,
    )
    def open_contact(view: View, action):
        """Open the dialog for the clicked row's client, if the caller's scope holds it."""
        if not isinstance(action, dict) or action.get("value") != "contact":
            raise PreventUpdate
        client_id = action.get("rowId")
        key = read_client.resolve_client(view.conn, view.scope, client_id)
        if key is None:
            view.deny_client(client_id, reason="client outside scope", action="contact-dialog")
            raise PreventUpdate
        header = read_client.client_header(view.conn, view.scope, key)
        flag = read_client.current_flag(view.conn, view.scope, key, view.today)
        view.audit_view("contact_dialog", client_keys=[key], route=f"{prefix}:contact-dialog")
        name = f"{header['first_name']} {header['last_name']}"
        return True, client_id, f"Log a contact with {name}", flag_text(flag), None, ""

    # In the browser (assets/clientside.js): it reads nothing and decides nothing the server
    # relies on, and on the server it cost a request per dialog on every page load.
    dash.clientside_callback(
        ClientsideFunction("caseload", "needsOutcome"),
        Output(_id(prefix, "save"), "disabled"),
        Input(_id(prefix, "outcome"), "value"),
        State(_id(prefix, "outcome"), "options"),
    )

    @page_callback(
        Output(_id(prefix, "modal"), "is_open", allow_duplicate=True),
        Output(refresh_id, "data", allow_duplicate=True),
        Output(toast_id, "children", allow_duplicate=True),
        Output(toast_id, "is_open", allow_duplicate=True),
        Input(_id(prefix, "save"), "n_clicks"),
        Input(_id(prefix, "cancel"), "n_clicks"),
        State(_id(prefix, "target"), "data"),
        State(_id(prefix, "method"), "value"),
        State(_id(prefix, "outcome"), "value"),
        State(_id(prefix, "note"), "value"),
        State(refresh_id, "data"),
        prevent_initial_call=True,
        permission=LOG_FOLLOWUP,
    )
    def save_contact(view: View, _save, _cancel, client_id, method, outcome, note, refresh):
        if dash.ctx.triggered_id == _id(prefix, "cancel"):
            return False, no_update, no_update, no_update
        try:
            view.run(
                log_followup,
                client_id=client_id,
                method=method,
                outcome=outcome,
                note=note,
                route=f"{prefix}:log-contact",
            )
        except AccessDenied as exc:
            view.deny_client(client_id, reason=str(exc), action="followup")
            return False, no_update, "The contact was not saved.", True
        except InvalidInput as exc:
            return True, no_update, f"Not saved: {exc}.", True
        return False, _bump(refresh), "Contact logged.", True

"""Administration: where an administrator lands on signing in, saying what the role can do
and how, with no caseload.

Admins run the system (logins, loads, scoring settings, the audit log) and read no client
records, so Today would only ever be empty for them. Each job links to its page and names the
``caseload`` commands that do the same on the server.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth.permissions import MANAGE_USERS
from dashboard.kit import register_page

register_page(
    __name__,
    path="/admin",
    name="Administration",
    title="Administration · Caseload",
    order=4,
    permission=MANAGE_USERS,
)

TASKS = (
    (
        "Logins",
        "/admin/users",
        "Users and roles",
        "Add counselors, supervisors and admins, disable or re-enable a login, reset a password "
        "(a temporary one, changed at first sign-in), change a role or program. Every change "
        "ends the user's open sessions and is audited. The same commands on the server:",
        [
            "caseload users add --username U --role counselor --staff-id S --temporary",
            "caseload users disable --username U",
            "caseload users enable --username U",
            "caseload users set-access --username U --role supervisor --staff-id S",
            "caseload users reset-password --username U --temporary",
        ],
    ),
    (
        "Data loads",
        "/admin/loads",
        "Data loads",
        "Load the programs' exports (rosters, check-ins, drug screens); the risk scores are "
        "refreshed after each load. Rejected rows wait in the quarantine with line and reason: "
        "the Loads page lists every load and its rejected rows (identifiers masked) and retries "
        "them. The Audit log page filters, downloads and verifies the access log.",
        ["caseload ingest FILES...", "caseload ingest --retry-quarantine"],
    ),
    (
        "Risk settings",
        None,
        None,
        "Check the rule settings a program scores with, after editing its file in config/risk/.",
        ["caseload risk-config --program ID", "caseload risk-config --check"],
    ),
)


def layout(**_kwargs) -> html.Div:
    cards = [
        dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2(title, className="h5"),
                        html.P(text, className="small mb-2"),
                        dcc.Link(f"Open {label}", href=href, className="d-block small mb-2")
                        if href
                        else None,
                        html.Pre("\n".join(commands), className="admin-commands mb-0"),
                    ]
                ),
                className="h-100",
            ),
            lg=4,
        )
        for title, href, label, text, commands in TASKS
    ]
    return html.Div(
        [
            html.H1("Administration", className="h3 mb-1"),
            html.P(
                "As an administrator you manage logins, data loads and risk settings. You do "
                "not see client records: caseloads are for counselors and supervisors. Logins, "
                "loads and the audit log have their own pages here; risk settings are managed "
                "on the server's command line.",
                className="text-muted mb-3",
                id="admin-intro",
            ),
            dbc.Row(cards, className="g-3"),
        ],
        id="admin-home",
    )

"""Administration: where an administrator lands on signing in, saying what the role can do
and how, with no caseload.

Admins run the system (logins, loads, scoring settings, the audit log) and read no client
records, so Today would only ever be empty for them. Until the admin pages exist, this says
which ``caseload`` commands do each job.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

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
        "Add counselors, supervisors and admins, disable a login, reset a password. "
        "Every change ends the user's open sessions and is audited.",
        [
            "caseload users add --username U --role counselor --staff-id S --password-stdin",
            "caseload users disable --username U",
            "caseload users reset-password --username U --password-stdin",
        ],
    ),
    (
        "Data loads",
        "Load the programs' exports (rosters, check-ins, drug screens); the risk scores are "
        "refreshed after each load. Rejected rows wait in the quarantine with line and reason: "
        "the Loads page lists every load and its rejected rows (identifiers masked) and retries "
        "them. The Audit log page filters, downloads and verifies the access log.",
        ["caseload ingest FILES...", "caseload ingest --retry-quarantine"],
    ),
    (
        "Risk settings",
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
                        html.Pre("\n".join(commands), className="admin-commands mb-0"),
                    ]
                ),
                className="h-100",
            ),
            lg=4,
        )
        for title, text, commands in TASKS
    ]
    return html.Div(
        [
            html.H1("Administration", className="h3 mb-1"),
            html.P(
                "As an administrator you manage logins, data loads and risk settings. You do "
                "not see client records: caseloads are for counselors and supervisors. Logins and "
                "risk settings are managed on the server's command line; loads and the audit "
                "log also have their own pages here.",
                className="text-muted mb-3",
                id="admin-intro",
            ),
            dbc.Row(cards, className="g-3"),
        ],
        id="admin-home",
    )

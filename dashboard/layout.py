"""The app shell: a navigation bar (pages, the signed-in user and role, sign out) around the
page container. It is a function, so Dash builds it per request for the signed-in user; the
guard has already refused anyone without a session before this runs."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from dashboard import freshness_banner
from dashboard.kit import home_path, nav_pages

ROLE_LABELS = {"counselor": "Counselor", "supervisor": "Supervisor", "admin": "Administrator"}


def _nav_links() -> list:
    return [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in nav_pages()
    ]


def _logout_form() -> html.Form:
    # A POST with the form's CSRF token: a cross-site link cannot sign anyone out.
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button(
                [html.I(className="bi bi-box-arrow-right me-1"), "Sign out"],
                type="submit",
                id="nav-logout",
                className="btn btn-sm btn-outline-light",
            ),
        ],
        action="/logout",
        method="POST",
        className="d-inline ms-3",
    )


def navbar() -> dbc.Navbar:
    user = current_user
    if not getattr(user, "is_authenticated", False):
        # Only reached while Dash validates the layout at start-up, outside any session.
        return dbc.Navbar(
            dbc.Container([dbc.NavbarBrand("Caseload"), freshness_banner.navbar_line()]),
            color="primary",
            dark=True,
        )
    role = ROLE_LABELS.get(user.role, user.role)
    who = html.Span(
        [
            dcc.Link(
                [
                    html.I(className="bi bi-person-circle me-1", **{"aria-hidden": "true"}),
                    html.Span(user.display_name, id="nav-user"),
                ],
                href="/account",
                id="nav-account",
                title="Your account: change your password",
                className="text-light text-decoration-none",
            ),
            html.Span(" · "),
            html.Span(role, id="nav-role"),
            html.Span(
                f" · {user.program_name}" if user.program_name else "",
                className="d-none d-lg-inline",
            ),
        ],
        className="navbar-text text-light small",
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.I(className="bi bi-heart-pulse me-2"), "Caseload"], href=home_path()
                ),
                dbc.Nav(_nav_links(), navbar=True, className="me-auto"),
                html.Div(
                    [freshness_banner.navbar_line(), who, _logout_form()],
                    className="d-flex align-items-center navbar-tools",
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        # Sticky from tablets up; on a phone the wrapped bar would keep a third of the screen.
        className="mb-3 py-1 sticky-md-top",
    )


def shell() -> html.Div:
    return html.Div(
        [
            navbar(),
            # Today's order (opaque client ids only), so the client page can offer the next
            # and previous client. In memory, like every store: it lives while the tab
            # navigates within the app and is gone on reload.
            dcc.Store(id="shell-today-order"),
            dbc.Container(
                [freshness_banner.header(), dash.page_container], fluid=True, className="pb-4"
            ),
        ],
        className="app-shell",
    )

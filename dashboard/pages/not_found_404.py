"""The page shown for an unknown path (only ever to a signed-in user: the guard runs first)."""

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Not found", title="Not found · Caseload", nav=False)


def layout(**_kwargs) -> html.Div:
    return html.Div(
        [html.H1("Page not found", className="h4"), dcc.Link("Back to Today", href="/")]
    )

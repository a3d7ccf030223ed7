"""The page shown for an unknown path, and for a page the user lacks the permission for (the
kit answers both alike). Only ever shown to a signed-in user: the guard runs first."""

from dash import dcc, html

from dashboard.kit import nav_pages, register_page

register_page(
    __name__,
    path="/404",
    name="Not found",
    title="Not found · Caseload",
    nav=False,
    permission=None,
)


def layout(**_kwargs) -> html.Div:
    home = next(iter(nav_pages()), None)
    back = [dcc.Link(f"Back to {home['name']}", href=home["relative_path"])] if home else []
    return html.Div([html.H1("Page not found", className="h4"), *back])

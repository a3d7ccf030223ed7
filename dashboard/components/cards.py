"""The summary cards above a page's list (Today's look): a title with an icon, a number and a
line under it, filled by the page's callback through ``{prefix}-card-{key}`` and ``-sub``."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def summary_card(prefix: str, key: str, title: str, icon: str, css: str, **width) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(
                        [html.I(className=f"bi {icon} me-2", **{"aria-hidden": "true"}), title],
                        className="card-title-small",
                    ),
                    html.Div("–", id=f"{prefix}-card-{key}", className="card-count"),
                    html.Div("", id=f"{prefix}-card-{key}-sub", className="card-sub"),
                ]
            ),
            className=f"summary-card {css}",
        ),
        **(width or {"xs": 6, "lg": 3}),
    )

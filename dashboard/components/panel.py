"""The page frame pieces that the caseload pages share: the title row with its "scored" line
and counselor picker, and a card panel with a title and a muted subtitle."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.picker import counselor_picker


def page_title(prefix: str, title: str, asof_class: str, margin: str = "mb-2") -> dbc.Row:
    """The page's heading, its ``{prefix}-asof`` line and the counselor picker."""
    return dbc.Row(
        [
            dbc.Col(
                [
                    html.H1(title, className="h3 mb-0"),
                    html.Div(id=f"{prefix}-asof", className=asof_class),
                ],
                width="auto",
            ),
            counselor_picker(prefix),
        ],
        className=f"align-items-center {margin}",
    )


def panel(title: str, body, sub: str = "", sub_id: str | None = None, **body_extra) -> dbc.Card:
    """A card with a title and a muted subtitle (``sub_id`` lets a callback fill it)."""
    sub_extra = {"id": sub_id} if sub_id else {}
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span(title, className="fw-semibold"),
                    html.Span(sub, className="text-muted small ms-2", **sub_extra),
                ],
                className="py-2",
            ),
            dbc.CardBody(body, className="p-2", **body_extra),
        ],
        className="mb-3",
    )

"""Dash's responses encoded by ``dashboard.json_out``: the same text as plotly's encoder, on
what the pages send (components, figures with numpy arrays, dates, pandas' missing values,
text that must not close a script tag), and installed wherever Dash looks it up."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest
from dash import dcc, html
from plotly.io.json import to_json_plotly

from dashboard import json_out

FIGURE = {
    "data": [
        {
            "type": "scatter",
            "x": np.array(["2026-11-01", "2026-11-02"]),
            "y": np.array([1.5, np.nan]),
            "customdata": ["C-1", "C-2"],
        }
    ],
    "layout": {"height": 300, "title": {"text": "Risk </script><script>alert(1)</script>"}},
}
VALUES = [
    {"rowData": [{"client_id": "C-1", "score": 42.5, "spark": [None, 1.0], "when": None}]},
    [html.Div([html.Span("a", className="x"), "b", None]), dcc.Graph(figure=FIGURE)],
    {
        "day": dt.date(2026, 11, 27),
        "at": dt.datetime(2026, 11, 27, 6, 30, 5),
        "stamp": pd.Timestamp("2026-11-27 06:30:05"),
        "missing": [pd.NaT, pd.NA, float("nan"), float("inf")],
        "numbers": [np.int64(3), np.float64(2.5), np.bool_(True), decimal.Decimal("1.25")],
        "text": "line\u2028break and a <b>tag</b> / slash",
    },
    html.Div(dcc.Graph(figure=FIGURE), id="page", style={"height": "min(52px, 100vh)"}),
]


@pytest.mark.parametrize("value", VALUES, ids=["rows", "components", "odd values", "page"])
def test_same_text_as_plotly(value) -> None:
    assert json_out.to_json(value) == to_json_plotly(value)


def test_what_orjson_does_not_know_goes_to_plotly() -> None:
    series = pd.Series([1.0, 2.0])
    assert json_out.to_json({"s": series}) == to_json_plotly({"s": series}) == '{"s":[1.0,2.0]}'


def test_installed_wherever_dash_looks_it_up() -> None:
    import dash._callback
    import dash.dash

    json_out.install()
    assert json_out.dash_encoders() == []
    assert dash._callback.to_json is json_out.to_json and dash.dash.to_json is json_out.to_json

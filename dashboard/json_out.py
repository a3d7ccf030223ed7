"""Dash's JSON encoder, made fast for responses that hold components.

Dash serialises every response (callback outputs, layouts) with plotly's ``to_json_plotly``.
That tries ``orjson`` once and, as soon as the value holds anything orjson does not know (any
Dash component does), walks the whole value again in Python, element by element, before
encoding it: on a figure of a year of client-days, or a page layout, that walk costs many
times the encoding. Here orjson meets components, figures and pandas' odd values through its
``default`` hook, in C, and gives the same text; a value the hook does not know falls back to
plotly's encoder, so nothing is ever encoded differently, only faster.

``install()`` puts the encoder where Dash looks it up (each of its modules imported the name);
a test checks that no loaded module of Dash keeps the old one and that both give the same
text, so a Dash upgrade that moves it fails loudly instead of going slow quietly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
import sys
from typing import Any

import orjson
import pandas as pd

# The modules of Dash that call ``to_json`` on what the app hands them.
DASH_MODULES = ("dash._utils", "dash._callback", "dash.dash", "dash._validate")
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
# As plotly does: no "</script>" or line separators can end up inside a page's JSON.
_SWAP = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("/", "\\u002f"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _default(value: Any) -> Any:
    to_plotly = getattr(value, "to_plotly_json", None)
    if to_plotly is not None:  # Dash components, plotly figures
        return to_plotly()
    if value is pd.NaT or value is pd.NA:  # (NaT is a datetime too)
        return None
    if isinstance(value, dt.datetime | dt.date):  # pandas' Timestamp, a datetime subclass
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def to_json(value: Any) -> str:
    """What ``dash._utils.to_json`` returns, the same text."""
    try:
        out = orjson.dumps(value, default=_default, option=_OPTIONS).decode("utf8")
    except TypeError:
        from plotly.io.json import to_json_plotly

        return to_json_plotly(value)
    for unsafe, safe in _SWAP:
        if unsafe in out:
            out = out.replace(unsafe, safe)
    return out


def dash_encoders() -> list[str]:
    """The loaded modules of Dash still holding Dash's own ``to_json``."""
    return [
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0] == "dash"
        and getattr(getattr(module, "to_json", None), "__module__", None) == "dash._utils"
    ]


def install() -> None:
    """Make Dash encode with ``to_json`` (idempotent)."""
    for name in DASH_MODULES:
        importlib.import_module(name)
    for name in dash_encoders():
        sys.modules[name].to_json = to_json

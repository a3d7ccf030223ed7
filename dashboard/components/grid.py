"""AG Grid settings every page's grid shares. No option is a JavaScript string (CSP without
``unsafe-eval``): renderers live in ``assets/dashAgGridComponentFunctions.js``.

Dates sort as dates: a date column's value is the ISO date and its words ride along in
``<field>_text`` (``ValueText`` renders them). Numbers are sent as numbers, labels apart; a
number shown to a fixed precision does the same (``text_column``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_ag_grid as dag

from dashboard.figures.palette import TIER_COLORS, TIER_ICONS, TIER_LABELS
from dashboard.triage import as_date
from etl.vocabulary import TIER_RANK

DEFAULT_COL_DEF = {"sortable": True, "resizable": True, "floatingFilter": False}
GRID_OPTIONS = {
    "animateRows": False,
    "rowHeight": 40,
    "suppressCellFocus": True,
    "tooltipShowDelay": 300,
    # No HTML template strings: dash-ag-grid blocks them (a console error on every load).
    "suppressNoRowsOverlay": True,
}


def phone_grid(grid_id: str, renderer: str, row_height: int, style: dict) -> dag.AgGrid:
    """A page's rows on a phone: one card per client, drawn by ``renderer``, no header."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=[
            {"field": "client_id", "cellRenderer": renderer, "flex": 1, "cellDataType": False}
        ],
        rowData=[],
        getRowId="params.data.client_id",
        dashGridOptions={
            **GRID_OPTIONS,
            "rowHeight": row_height,
            "headerHeight": 0,
            "suppressHorizontalScroll": True,
        },
        className="ag-theme-quartz today-phone-grid",
        style=style,
    )


def client_column(width: int = 160) -> dict:
    return {
        "field": "name",
        "headerName": "Client",
        "cellRenderer": "ClientLink",
        "width": width,
        "pinned": "left",
        "tooltipField": "name",
    }


def tier_column() -> dict:
    # Sorted by the tier's rank (critical highest), shown as the badge.
    return {
        "field": "tier_rank",
        "headerName": "Tier",
        "cellRenderer": "TierBadge",
        "width": 116,
    }


def date_column(field: str, header: str, width: int = 156) -> dict:
    return {"field": field, "headerName": header, "cellRenderer": "ValueText", "width": width}


def text_column(field: str, header: str, width: int = 90, **extra: Any) -> dict:
    """A number that sorts as a number and shows its ``<field>_text`` ("+2.0", not "2")."""
    return number_column(field, header, width, cellRenderer="ValueText", **extra)


def number_column(field: str, header: str, width: int = 90, **extra: Any) -> dict:
    return {"field": field, "headerName": header, "width": width, "type": "numericColumn", **extra}


def tier_cells(tier: str | None) -> dict:
    """The fields ``TierBadge`` draws from, and the rank the column sorts by."""
    tier = tier if isinstance(tier, str) else None
    return {
        "tier": TIER_LABELS.get(tier, "Not scored") if tier else "Not scored",
        "tier_rank": TIER_RANK.get(tier, -1) if tier else -1,
        "tier_key": tier or "none",
        "tier_color": TIER_COLORS.get(tier, "#6c757d") if tier else "#6c757d",
        "tier_icon": TIER_ICONS.get(tier, "bi-dash-circle") if tier else "bi-dash-circle",
        "newly_high": False,
    }


def date_cells(field: str, day, today: dt.date) -> dict:
    """``field`` as the ISO date (sorts as a date) and ``field_text`` as words."""
    day = as_date(day)
    if day is None:
        return {field: None, f"{field}_text": "never"}
    ago = (today - day).days
    when = "today" if ago == 0 else "yesterday" if ago == 1 else f"{ago} d ago"
    return {field: day.isoformat(), f"{field}_text": f"{day:%b %-d} · {when}"}


def fitted_height(rows: int, row_height: int, chrome: str = "330px", header: int = 52) -> dict:
    """A grid as tall as its rows (a short list leaves no empty box), at most the window's
    height minus the page's ``chrome`` above it, so a long list scrolls inside the grid.
    ``header``: the header row and borders (a phone's card list has no header)."""
    px = header + rows * row_height
    return {"height": f"min({px}px, calc(100vh - {chrome}))", "minHeight": "140px"}


def percent(value) -> float | None:
    """A fraction as a whole percent for a numeric column (None stays empty)."""
    if value is None or value != value:
        return None
    return round(100 * float(value))

"""The Today grid: column definitions and display rows from the ranked caseload.

Cell renderers (tier badge, sparkline, client link, row actions) live in
``assets/dashAgGridComponentFunctions.js``; no grid option is a JavaScript string, so the
page runs under a CSP without ``unsafe-eval``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.figures.palette import TIER_COLORS, TIER_ICONS, TIER_LABELS

COLUMN_DEFS = [
    {
        "field": "rank",
        "headerName": "#",
        "width": 60,
        "pinned": "left",
        "sort": "asc",
        "filter": False,
    },
    {
        "field": "name",
        "headerName": "Client",
        "cellRenderer": "ClientLink",
        "width": 150,
        "pinned": "left",
        "filter": "agTextColumnFilter",
    },
    {
        "field": "tier",
        "headerName": "Tier",
        "cellRenderer": "TierBadge",
        "width": 116,
        "filter": "agTextColumnFilter",
    },
    {
        "field": "score",
        "headerName": "Score",
        "width": 76,
        "type": "numericColumn",
        "filter": "agNumberColumnFilter",
    },
    {
        "field": "change",
        "headerName": "Δ day",
        "width": 80,
        "headerTooltip": "Change since the day before",
        "cellRenderer": "ScoreChange",
        "type": "numericColumn",
        "filter": "agNumberColumnFilter",
    },
    {
        "field": "reasons",
        "tooltipField": "reasons",
        "headerName": "Top reasons",
        "flex": 1,
        "minWidth": 200,
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "wrap-cell reasons-cell",
        "filter": "agTextColumnFilter",
    },
    {
        "field": "last_checkin",
        "headerName": "Last check-in",
        "width": 128,
        "filter": "agTextColumnFilter",
    },
    {
        "field": "missed_streak",
        "headerName": "Missed",
        "width": 80,
        "type": "numericColumn",
        "filter": "agNumberColumnFilter",
        "headerTooltip": "Expected check-ins missed in a row",
    },
    {
        "field": "spark",
        "headerName": "14 days",
        "headerTooltip": "Daily score on a 0-100 scale; the dashed line is where high begins",
        "width": 104,
        "cellRenderer": "Sparkline",
        "sortable": False,
        "filter": False,
    },
    {
        "field": "followup",
        "tooltipField": "followup",
        "cellClass": "wrap-cell",
        "wrapText": True,
        "autoHeight": True,
        "headerName": "Follow-up",
        "width": 156,
        "cellRenderer": "FollowupStatus",
        "filter": "agTextColumnFilter",
    },
    {
        "field": "actions",
        "headerName": "",
        "width": 84,
        "cellRenderer": "RowActions",
        "sortable": False,
        "filter": False,
        "pinned": "right",
    },
]
DEFAULT_COL_DEF = {
    "sortable": True,
    "resizable": True,
    "floatingFilter": False,
    "suppressHeaderMenuButton": False,
}


def _last_checkin_text(last, days_since) -> str:
    if last is None or (not isinstance(last, dt.date) and pd.isna(last)):
        return "never"
    last = pd.Timestamp(last).date()
    if days_since == 0:
        return f"{last:%b %-d} · today"
    return f"{last:%b %-d} · {int(days_since)} d ago"


def _number(value, digits: int = 1):
    if value is None or value != value:  # None or NaN
        return None
    return round(float(value), digits)


def grid_rows(ranked: pd.DataFrame, high_from: float | None = None) -> list[dict]:
    """JSON-ready rows. Only what the counselor sees on screen goes to the browser.
    ``high_from``: the program's high-tier threshold, drawn across the sparkline."""
    rows = []
    for r in ranked.to_dict("records"):
        tier = r["tier"] if isinstance(r["tier"], str) else None
        rows.append(
            {
                "client_id": r["client_id"],
                "rank": int(r["rank"]),
                "name": r["name"],
                "tier": TIER_LABELS.get(tier, "Not scored") if tier else "Not scored",
                "tier_key": tier or "none",
                "tier_color": TIER_COLORS.get(tier, "#6c757d") if tier else "#6c757d",
                "tier_icon": TIER_ICONS.get(tier, "bi-dash-circle") if tier else "bi-dash-circle",
                "newly_high": bool(r["is_newly_high"]),
                "score": _number(r["score"]),
                "change": _number(r["score_change"]),
                "reasons": r["reasons_text"]
                or ("No flagged signals" if tier else "Not scored yet"),
                "last_checkin": _last_checkin_text(r["last_checkin"], r["days_since_checkin"]),
                "missed_streak": int(r["missed_streak"]),
                "spark": list(r["spark"]),
                "spark_high": high_from,
                "followup": r["followup_text"],
                "followup_kind": r["followup_kind"],
            }
        )
    return rows

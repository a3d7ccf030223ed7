"""The Today grid: column definitions and display rows from the ranked caseload.

Cell renderers (tier badge, sparkline, client link, row actions) live in
``assets/dashAgGridComponentFunctions.js``; no grid option is a JavaScript string, so the
page runs under a CSP without ``unsafe-eval``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from dashboard.components.grid import date_cells, tier_cells
from dashboard.triage import number
from etl.vocabulary import HIGH_TIERS

RANK_TOOLTIP = (
    "Order: newly high first, then by tier (critical first), then by score; the change "
    "since yesterday breaks ties; snoozed clients last"
)
# Every column sorts by a value, never by the words shown: dates are ISO dates (their words in
# ``<field>_text``), tiers their rank, follow-ups their urgency. Rows are one fixed height, so
# a 1366x768 screen holds at least eight of them: two reasons on one line each, the rest in
# the tooltip.
COLUMN_DEFS = [
    {
        "field": "rank",
        "headerName": "#",
        "headerTooltip": RANK_TOOLTIP,
        "width": 50,
        "pinned": "left",
        "sort": "asc",
    },
    {
        "field": "name",
        "headerName": "Client",
        "cellRenderer": "ClientLink",
        "tooltipField": "name",
        "width": 164,
        "pinned": "left",
        "cellClass": "ellipsis-cell",
    },
    {"field": "tier_rank", "headerName": "Tier", "cellRenderer": "TierBadge", "width": 132},
    {"field": "score", "headerName": "Score", "width": 66, "type": "numericColumn"},
    {
        "field": "change",
        "headerName": "Change since yesterday",
        "headerTooltip": "Score change since the day before",
        "wrapHeaderText": True,
        "autoHeaderHeight": True,
        "width": 104,
        "cellRenderer": "ScoreChange",
        "type": "numericColumn",
    },
    {
        "field": "reasons",
        "tooltipField": "reasons_all",
        "headerName": "Top reasons",
        "flex": 1,
        "minWidth": 220,
        "cellRenderer": "ReasonLines",
        "cellClass": "reasons-cell",
        "sortable": False,  # words have no order; the ranking already puts the worst first
    },
    {
        "field": "last_checkin",
        "headerName": "Last check-in",
        "cellRenderer": "ValueText",
        "width": 140,
        "cellClass": "ellipsis-cell",
    },
    {
        "field": "missed_streak",
        "headerName": "Missed",
        "width": 70,
        "type": "numericColumn",
        "headerTooltip": "Expected check-ins missed in a row",
    },
    {
        "field": "spark",
        "headerName": "14 days",
        "headerTooltip": "Daily score on a 0-100 scale; the dashed line is where high begins",
        "width": 96,
        "cellRenderer": "Sparkline",
        "cellDataType": False,
        "sortable": False,
    },
    {
        "field": "followup_order",
        "headerName": "Follow-up",
        "tooltipField": "followup",
        "width": 150,
        "cellRenderer": "FollowupStatus",
        "cellClass": "ellipsis-cell",
    },
    {
        "field": "actions",
        "headerName": "",
        "width": 84,
        "cellRenderer": "RowActions",
        "cellDataType": False,
        "sortable": False,
        "pinned": "right",
    },
]
# On a phone: one card per client (name, tier, score, top reason, last check-in, the buttons).
FOLLOWUP_ORDER = {"due": 0, "none": 1, "done": 2, "snoozed": 3}  # most urgent first
DEFAULT_COL_DEF = {"sortable": True, "resizable": True}


def grid_rows(
    ranked: Sequence[Mapping], today: dt.date, high_from: float | None = None
) -> list[dict]:
    """JSON-ready rows. Only what the counselor sees on screen goes to the browser.
    The last check-in is counted from ``today``, not from the scored day: "3 d ago" must stay
    true on stale data. ``high_from``: the program's high-tier threshold, drawn across the
    sparkline."""
    rows = []
    for r in ranked:
        tier = r["tier"]
        rows.append(
            {
                "client_id": r["client_id"],
                "rank": r["rank"],
                "name": r["name"],
                **tier_cells(tier),
                "newly_high": r["is_newly_high"],
                "score": number(r["score"], 1),
                "change": number(r["score_change"], 1),
                "reasons": r["reasons_text"]
                or ("No flagged signals" if tier else "Not scored yet"),
                "reasons_all": r["reasons_all"] or r["reasons_text"] or "",
                **date_cells("last_checkin", r["last_checkin"], today),
                "missed_streak": r["missed_streak"],
                "spark": r["spark"],
                "spark_high": high_from,
                "followup": r["followup_text"],
                "followup_kind": r["followup_kind"],
                "followup_order": FOLLOWUP_ORDER.get(r["followup_kind"], 1),
            }
        )
    return rows


def filter_ranked(
    ranked: Sequence[Mapping], card: str | None, search: str, missed: set[int]
) -> list[Mapping]:
    """The rows a card filter and a name search leave, in the ranking's order (ranks kept)."""
    keep = {
        "high": lambda r: r["tier"] in HIGH_TIERS,
        "newly_high": lambda r: r["is_newly_high"],
        "missed": lambda r: r["client_key"] in missed,
        "due": lambda r: r["followup_kind"] == "due",
        "discordant": lambda r: r["is_discordant"],
    }.get(card, lambda r: True)
    needle = search.casefold()
    return [r for r in ranked if keep(r) and (not needle or needle in r["name"].casefold())]

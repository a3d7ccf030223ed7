"""The line under every caseload page's title: which day the scores are for, when they were
made and whether that day was still in progress (the same words as Today's, from
``triage.as_of_status``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.triage import as_of_status, flags, local_time

ASOF_CLASS = {False: "text-muted small", True: "small text-warning-emphasis fw-semibold"}


@dataclass(frozen=True)
class Scored:
    text: str
    css: str
    scored_at: dt.datetime | None  # program-local


def scored_line(clients: pd.DataFrame, as_of: dt.date, today: dt.date, time_zone: str) -> Scored:
    """From the caseload's rows on ``as_of`` (``computed_at``, ``is_received``)."""
    scored_at = None
    if not clients.empty and clients["computed_at"].notna().any():
        scored_at = local_time(clients["computed_at"].max(), time_zone)
    received = (
        int(flags(clients["is_received"]).sum()) if as_of == today and not clients.empty else 0
    )
    text, stale = as_of_status(as_of, today, scored_at, received)
    return Scored(text, ASOF_CLASS[stale], scored_at)

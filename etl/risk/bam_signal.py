"""The latest Brief Addiction Monitor form laid on the client x day grid.

A form is a snapshot of the last 7 or 30 days, so on each day the signal is the newest form
completed on or before it, for as long as it is not older than the rule's ``max_age_days``;
before a client's first form, and once the last one is stale, there is no signal (NaN), and
the rule gives nothing: a client without forms is scored exactly as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.risk.client_day import ClientDays, day_numbers


def attach_bam(days: ClientDays, forms: pd.DataFrame, max_age_days: int) -> None:
    """Fill ``days.bam_risk``, ``bam_protective`` and ``bam_age`` from ``forms``
    (client_key, local_date, risk_score, protective_score), read from ``max_age_days`` before
    the grid's start so a form just before it still counts."""
    n, t = days.enrolled.shape
    risk = np.full((n, t), np.nan)
    protective = np.full((n, t), np.nan)
    age = np.full((n, t), np.nan)
    days.bam_risk, days.bam_protective, days.bam_age = risk, protective, age
    if forms.empty or not n or not t:
        return
    row_of = {int(k): i for i, k in enumerate(days.client_keys)}
    rows = forms["client_key"].map(row_of)
    forms = forms[rows.notna()].assign(row=rows[rows.notna()].astype(np.int64))
    forms = forms.assign(day=day_numbers(forms["local_date"]) - days.start)
    forms = forms[forms["day"] < t].sort_values(["row", "day"], kind="stable")
    if forms.empty:
        return
    fr = forms["row"].to_numpy(np.int64)
    fd = forms["day"].to_numpy(np.int64)
    # Each form's index at its day (forms before the grid at day 0); later forms win a cell.
    grid = np.full((n, t), -1, np.int64)
    np.maximum.at(grid, (fr, np.maximum(fd, 0)), np.arange(len(fr)))
    # Forward fill: forms are sorted by day within a client, so the running maximum of the
    # index is the newest form so far.
    latest = np.maximum.accumulate(grid, axis=1)
    has = latest >= 0
    pick = np.where(has, latest, 0)
    form_age = (np.arange(t)[None, :] - fd[pick]).astype(np.float64)
    fresh = has & (form_age <= max_age_days) & days.enrolled
    risk[fresh] = forms["risk_score"].to_numpy(np.float64)[pick][fresh]
    protective[fresh] = forms["protective_score"].to_numpy(np.float64)[pick][fresh]
    age[fresh] = form_age[fresh]

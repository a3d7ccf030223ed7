""" "Does the score predict lapses here?": ``evaluate-risk``'s figures on one program, with
95% bootstrap intervals, and what each alert budget would have caught.

Labels, baselines and precision among each counselor's top k come from ``etl.risk.evaluate``
unchanged (the page and ``caseload evaluate-risk`` must mean the same thing); this module only
narrows them to one program and adds what a supervisor needs on top:

* intervals by a **client** bootstrap (whole clients resampled, so a client's many correlated
  days do not pass for independent evidence);
* the subgroup check: a warning where a group's AUROC is more than 0.05 below the program's;
* the alert budget: for k = 1..20 clients per counselor per morning, over the last 90 days,
  the share of the lapses that followed that were on the lists and the flags per counselor per
  day, beside what the current thresholds (high and critical) give.

It reads every scored day of the window, so on a large program it takes seconds to minutes:
the page runs it once per program, day and period (``dashboard.commands.model_check``) and
reads the stored result after that.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score
from sqlalchemy import Connection, Engine, select

import etl.risk.evaluate as evaluate
from etl.vocabulary import HIGH_TIERS, TIERS

HORIZON = 7
BUDGETS = tuple(range(1, 21))
DEFAULT_K = 5
BUDGET_DAYS = 90
SUBGROUP_GAP = 0.05
BOOTSTRAPS = 200


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def labelled(engine: Engine, program_key: int, start: dt.date, end: dt.date, horizon: int):
    """The program's scored days in the window whose lapse label can be known, and labels."""
    frame = evaluate.load_scored_days(engine, start, end)
    frame = frame[frame["program_key"] == program_key].reset_index(drop=True)
    label, eligible = evaluate.lapse_labels(frame, horizon)
    return frame[eligible].reset_index(drop=True), label[eligible]


def _both(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    if y.all() or not y.any():
        return float("nan"), float("nan")
    return float(roc_auc_score(y, s)), float(average_precision_score(y, s))


def bootstrap(
    clients: np.ndarray, y: np.ndarray, s: np.ndarray, n: int = BOOTSTRAPS, seed: int = 0
) -> dict[str, list[float | None]]:
    """95% percentile intervals of AUROC and PR-AUC, resampling whole clients."""
    order = np.argsort(clients, kind="stable")
    c, y, s = clients[order], y[order], s[order]
    starts = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(c)])
    rng = np.random.default_rng(seed)
    aurocs, pr_aucs = [], []
    for _ in range(n):
        pick = rng.integers(0, len(starts), len(starts))
        lengths = counts[pick]
        total = int(lengths.sum())
        offsets = np.repeat(starts[pick] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        rows = offsets + np.arange(total)
        a, p = _both(y[rows], s[rows])
        if not math.isnan(a):
            aurocs.append(a)
            pr_aucs.append(p)
    if not aurocs:
        return {"auroc": [None, None], "pr_auc": [None, None]}
    return {
        "auroc": [float(np.percentile(aurocs, 2.5)), float(np.percentile(aurocs, 97.5))],
        "pr_auc": [float(np.percentile(pr_aucs, 2.5)), float(np.percentile(pr_aucs, 97.5))],
    }


def _per_counselor_day(data: pd.DataFrame) -> np.ndarray:
    """How many scored clients each counselor had on each day."""
    keys = (
        data["counselor_key"].fillna(-1).astype(np.int64).astype(str)
        + "|"
        + data["date"].astype(str)
    )
    return keys.value_counts().to_numpy()


def alert_budget(data: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """Per budget k: lapses caught (recall), precision, flags per counselor per day; and the
    same for the current tier thresholds."""
    score = data["score"].to_numpy(np.float64)
    sizes = _per_counselor_day(data)
    rows = []
    for k in BUDGETS:
        precision, recall = evaluate.precision_at_k(data, score, y, k)
        rows.append(
            {
                "k": k,
                "caught": recall,
                "precision": precision,
                "flags_per_day": float(np.minimum(sizes, k).mean()) if len(sizes) else None,
            }
        )
    high = data["tier"].isin(HIGH_TIERS).to_numpy()
    current = {
        "caught": float(y[high].sum() / y.sum()) if y.sum() else None,
        "precision": float(y[high].mean()) if high.any() else None,
        "flags_per_day": float(high.sum() / len(sizes)) if len(sizes) else None,
    }
    return {"budgets": rows, "current": current, "lapses": int(y.sum()), "days": int(len(y))}


def model_check(
    engine: Engine,
    program_key: int,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    *,
    horizon: int = HORIZON,
    boots: int = BOOTSTRAPS,
) -> dict[str, Any]:
    """Everything the section shows, JSON-ready."""
    data, y = labelled(engine, program_key, start, end, horizon)
    score = data["score"].to_numpy(np.float64)
    auroc, pr_auc = _both(y, score)
    clients = data["client_key"].to_numpy(np.int64)
    precision, recall = evaluate.precision_at_k(data, score, y, DEFAULT_K)
    result: dict[str, Any] = {
        "horizon_days": horizon,
        "n": int(len(y)),
        "clients": int(len(np.unique(clients))),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()) if len(y) else None,
        "auroc": auroc,
        "pr_auc": pr_auc,
        "ci": bootstrap(clients, y, score, boots) if len(y) else {},
        "k": DEFAULT_K,
        "precision_at_k": precision,
        "recall_at_k": recall,
        "baselines": {},
        "tiers": {},
    }
    for name, values in evaluate.baselines(data).items():
        b_auroc, b_pr = _both(y, values)
        b_prec, _ = evaluate.precision_at_k(data, values, y, DEFAULT_K)
        result["baselines"][name] = {"auroc": b_auroc, "pr_auc": b_pr, "precision_at_k": b_prec}
    for tier in TIERS:
        sel = (data["tier"] == tier).to_numpy()
        result["tiers"][tier] = {
            "n": int(sel.sum()),
            "lapse_rate": float(y[sel].mean()) if sel.any() else None,
        }
    groups = evaluate._groups(data, y, score) if len(y) else {}
    groups.pop("program_key", None)  # one program here
    for values in groups.values():
        for g in values.values():
            g["warning"] = bool(
                not math.isnan(auroc)
                and g["auroc"] is not None
                and not math.isnan(g["auroc"])
                and g["auroc"] < auroc - SUBGROUP_GAP
            )
    result["groups"] = groups
    budget_start = today - dt.timedelta(days=BUDGET_DAYS - 1)
    b_data, b_y = labelled(engine, program_key, budget_start, today, horizon)
    result["budget"] = alert_budget(b_data, b_y)
    result["budget"]["from"] = budget_start.isoformat()
    result["budget"]["to"] = today.isoformat()
    return _clean(result)


def stored(
    conn: Connection, program_key: int, today: dt.date, start: dt.date, end: dt.date
) -> dict[str, Any] | None:
    """Today's stored check of this program and period (call with a resolved key)."""
    from etl.models import MartModelCheck

    row = conn.execute(
        select(MartModelCheck.result, MartModelCheck.seconds, MartModelCheck.computed_at).where(
            MartModelCheck.program_key == program_key,
            MartModelCheck.computed_for == today,
            MartModelCheck.period_from == start,
            MartModelCheck.period_to == end,
        )
    ).first()
    if row is None:
        return None
    return {**row.result, "seconds": row.seconds, "computed_at": row.computed_at.isoformat()}

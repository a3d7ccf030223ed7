"""From inputs to the rows of ``fct_client_day`` and ``fct_risk_score``, without a database.

``compute`` runs the whole chain for one group of clients sharing a configuration: grid,
features, rules, score, tier, change since yesterday, reasons. It returns flat columns (one
entry per written client-day) that the writers stream into the warehouse; ``to_frames`` turns
them into DataFrames for tests, notebooks and the evaluation.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.risk.bam_signal import attach_bam
from etl.risk.client_day import build_client_days, rolling_sum, to_date
from etl.risk.config import RiskConfig
from etl.risk.reasons import build_reasons
from etl.risk.rules import evaluate_rules, tiers
from etl.vocabulary import SIGNALS, TIERS

# fct_client_day columns, in the order the writers send them.
DAY_COLUMNS = (
    "client_key",
    "date",
    "is_expected",
    "is_received",
    "checkin_count",
    *SIGNALS,
    "used_reported",
    "screen_positive",
    "trigger_count",
    "support_contact",
    "missed_streak",
    "adherence_7d",
    "adherence_28d",
    "is_missed",
    "days_since_checkin",
    "days_since_support",
    "days_since_use",
    "cue_days_7d",
    *(f"{s}_{part}" for s in SIGNALS for part in ("baseline", "sd", "trend")),
)
SCORE_COLUMNS = (
    "client_key",
    "date",
    "score",
    "tier",
    "score_change",
    "is_newly_high",
    "rule_version",
    "config_hash",
    "computed_at",
    "reasons",
)


@dataclass
class Computed:
    """Flat output columns: ``day`` holds the client-day facts, ``score`` the risk rows."""

    day: dict[str, np.ndarray]
    score: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.day["client_key"])


def compute(
    clients: pd.DataFrame,
    checkins: pd.DataFrame,
    screens: pd.DataFrame,
    start: dt.date | int,
    end: dt.date | int,
    cfg: RiskConfig,
    *,
    first: dict[int, int] | None = None,
    data_start: dict[int, int] | None = None,
    seeds: pd.DataFrame | None = None,
    open_day: int | None = None,
    bam: pd.DataFrame | None = None,
) -> Computed:
    """Facts and scores for every enrolled day of ``clients`` from their first day to ``end``.

    ``bam``: BAM forms (client_key, local_date, risk_score, protective_score), read when the
    configuration's BAM rule is on."""
    days = build_client_days(
        clients,
        checkins,
        screens,
        start,
        end,
        first=first,
        data_start=data_start,
        seeds=seeds,
        open_day=open_day,
    )
    if cfg.bam.enabled and bam is not None:
        attach_bam(days, bam, cfg.bam.max_age_days)
    rules, stats = evaluate_rules(days, cfg)
    n, t = days.enrolled.shape
    out_mask = days.output
    cells = np.flatnonzero(out_mask.reshape(-1))
    ci, di = np.divmod(cells, t) if t else (cells, cells)

    score, reasons = build_reasons(rules, cells)
    tier_idx = tiers(score, cfg)
    # Yesterday's score for the change and "newly high": recomputed in the same grid.
    prev_cells = np.maximum(cells - 1, 0)
    has_prev = (di > 0) & days.enrolled.reshape(-1)[prev_cells]
    prev_score = np.full(len(cells), np.nan)
    if has_prev.any():
        prev_score[has_prev] = _score_only(rules, prev_cells[has_prev])
    prev_tier = np.where(np.isnan(prev_score), -1, tiers(np.nan_to_num(prev_score), cfg))
    score_change = np.round(score - prev_score, 1)
    newly_high = (tier_idx >= 2) & (prev_tier < 2)

    flat = {k: v.reshape(-1)[cells] for k, v in _grid_columns(days, stats).items()}
    day_cols = {
        "client_key": days.client_keys[ci],
        "date": (days.start + di).astype(np.int64),
        **flat,
    }
    score_cols = {
        "client_key": day_cols["client_key"],
        "date": day_cols["date"],
        "score": score,
        "tier": np.asarray(TIERS, dtype=object)[tier_idx],
        "tier_index": tier_idx,
        "score_change": score_change,
        "is_newly_high": newly_high,
        "reasons": reasons,
    }
    return Computed(day=day_cols, score=score_cols)


def _score_only(rules, cells: np.ndarray) -> np.ndarray:
    """The score alone (sum of points, capped), without rendering reasons."""
    total = np.zeros(len(cells))
    for rule in rules:
        total += rule.points.reshape(-1)[cells]
    return np.round(np.minimum(total, 100.0), 1)


def _grid_columns(days, stats) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {
        "is_expected": days.expected,
        "is_received": days.received,
        "checkin_count": days.checkin_count,
        **{s: days.signals[s] for s in SIGNALS},
        "used_reported": days.used_reported,
        "screen_positive": days.screen_positive,
        "trigger_count": days.trigger_count,
        "support_contact": days.support_contact,
        "missed_streak": days.missed_streak,
        "adherence_7d": np.round(days.adherence_7d, 4),
        "adherence_28d": np.round(days.adherence_28d, 4),
        "is_missed": days.missed,
        "days_since_checkin": days.days_since_checkin,
        "days_since_support": days.days_since_support,
        "days_since_use": days.days_since_use,
        "cue_days_7d": _cue_days(days),
    }
    for s in SIGNALS:
        cols[f"{s}_baseline"] = np.round(stats[s].baseline, 3)
        cols[f"{s}_sd"] = np.round(stats[s].sd, 3)
        cols[f"{s}_trend"] = np.round(stats[s].trend, 3)
    return cols


def _cue_days(days) -> np.ndarray:
    return rolling_sum((days.trigger_count > 0).astype(np.float64), 7)


def to_frames(result: Computed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(client_day, risk) DataFrames with dates and reasons as Python objects."""
    day = pd.DataFrame({k: result.day[k] for k in DAY_COLUMNS})
    day["date"] = [to_date(d) for d in day["date"]]
    score = pd.DataFrame(
        {k: v for k, v in result.score.items() if k not in ("reasons", "tier_index")}
    )
    score["date"] = day["date"]
    score["reasons"] = [json.loads(r) for r in result.score["reasons"]]
    return day, score

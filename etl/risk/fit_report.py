"""Holdout figures for ``caseload risk fit``: the fitted points against the current ones and
against single-signal baselines, on client-days the fit never saw.

The same figures as ``evaluate-risk`` (AUROC, PR-AUC, precision and recall at k per counselor
per day, lapse rate by tier) on the same labels, plus 95% intervals for the AUROC of the whole
and of each group (sex, age band) from a bootstrap over clients: a client's days are not
independent, so clients, not days, are resampled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from etl.risk.config import RiskConfig
from etl.risk.evaluate import AGE_BANDS, _scores, precision_at_k
from etl.risk.fit_data import FitData
from etl.risk.rules import tiers
from etl.vocabulary import TIERS


def baselines(data: FitData) -> dict[str, np.ndarray]:
    """The rankings ``evaluate-risk`` compares with, from the same rows."""
    return {
        "craving today": data.craving_today,
        "days since check-in": data.days_since_checkin,
        "recent use": -data.days_since_use,
    }


def age_bands(age: np.ndarray) -> np.ndarray:
    band = np.full(len(age), "unknown", dtype=object)
    for lo, hi, name in AGE_BANDS:
        band[(age >= lo) & (age < hi)] = name
    return band


class _Bootstrap:
    """Client-level bootstrap of the AUROC: each replicate weighs every client's days by how
    often the client was drawn; the AUROC with weights needs one sort per ranking, then two
    weighted counts per replicate."""

    def __init__(self, clients: np.ndarray, reps: int, seed: int):
        self.ids, self.inverse = np.unique(clients, return_inverse=True)
        rng = np.random.default_rng(seed)
        n = len(self.ids)
        self.weights = (
            rng.multinomial(n, np.full(n, 1.0 / n), size=reps).astype(np.float64)
            if n and reps
            else np.zeros((0, n))
        )

    def interval(self, y: np.ndarray, score: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
        if not len(self.weights) or y[rows].all() or not y[rows].any():
            return float("nan"), float("nan")
        s, yy, who = score[rows], y[rows].astype(np.float64), self.inverse[rows]
        _, group = np.unique(s, return_inverse=True)
        g = group.max() + 1
        values = []
        for w in self.weights:
            wr = w[who]
            pos = np.bincount(group, wr * yy, minlength=g)
            neg = np.bincount(group, wr * (1 - yy), minlength=g)
            below = np.cumsum(neg) - neg
            total = pos.sum() * neg.sum()
            if total > 0:
                values.append(float((pos * (below + 0.5 * neg)).sum() / total))
        if not values:
            return float("nan"), float("nan")
        lo, hi = np.quantile(values, [0.025, 0.975])
        return float(lo), float(hi)


def holdout_figures(
    data: FitData,
    scores: dict[str, np.ndarray],
    configs: dict[str, RiskConfig],
    *,
    k: int,
    reps: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Figures on ``data``'s eligible rows for every ranking in ``scores`` and the baselines;
    tiers and groups for the rankings named in ``configs`` (a score with its tiers)."""
    rows = data.eligible
    part = data.take(rows)
    y = part.label
    frame = part.frame()
    out: dict[str, Any] = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "clients": int(len(np.unique(part.client_key))),
        "rankings": {},
        "tiers": {},
        "groups": {},
    }
    boot = _Bootstrap(part.client_key, reps, seed)
    everyone = np.ones(len(y), dtype=bool)
    rankings = {name: s[rows] for name, s in scores.items()}
    rankings |= baselines(part)
    for name, s in rankings.items():
        auroc, pr_auc = _scores(y, s)
        prec, recall = precision_at_k(frame, s, y, k)
        out["rankings"][name] = {
            "auroc": auroc,
            "pr_auc": pr_auc,
            "precision_at_k": prec,
            "recall_at_k": recall,
            "auroc_95": boot.interval(y, s, everyone) if name in configs else None,
        }
    groups = {"sex": part.sex, "age band": age_bands(part.age)}
    for name, cfg in configs.items():
        s = rankings[name]
        idx = tiers(s, cfg)
        out["tiers"][name] = {
            tier: {
                "n": int((idx == i).sum()),
                "lapse_rate": float(y[idx == i].mean()) if (idx == i).any() else None,
            }
            for i, tier in enumerate(TIERS)
        }
        out["groups"][name] = {}
        for group, values in groups.items():
            out["groups"][name][group] = {}
            for value in sorted(set(values)):
                sel = values == value
                auroc, _ = _scores(y[sel], s[sel])
                out["groups"][name][group][str(value)] = {
                    "n": int(sel.sum()),
                    "positives": int(y[sel].sum()),
                    "auroc": auroc,
                    "auroc_95": boot.interval(y, s, sel),
                }
    return out

"""Fitted points: the rules' own features weighed on a program's history (``caseload risk fit``).

Every rule's points are a sum of "points key x unit" terms (``RuleOutput.terms``): 6 points per
craving step above 4, 4 per day above own baseline, 35 for use within 3 days. A penalised
logistic regression (scikit-learn) on those units, for the outcome "lapse in the next
``horizon`` days", says how many log-odds each unit is worth; the scorecard multiplies every
coefficient by one factor (points per unit of log-odds, so a point means the same in every
rule), rounds to halves and writes them back into the same keys. The score stays a sum of
named reasons, each one's points now learned from the program's own days.

Monotone where the clinical direction is known, which is every rule here: each term counts
something that can only add risk (more stress, more missed nights, more recent use), so the
coefficients are held at zero or above (features whose unconstrained weight comes out
negative are dropped and the rest refitted). The use rule's steps are fitted as cumulative
windows (within 3, within 7, ...), so nearer use never gets fewer points than older use.

Disengagement keeps its configured points: the days it is meant for are mostly followed by
silence, whose outcome is unknown and therefore not in the fit, and a client who stops
checking in must still rise (docs/risk-rules.md, "No data is a signal").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from etl.risk.config import RiskConfig, Tiers
from etl.risk.fit_data import FitData

FIXED_SECTIONS = ("disengagement",)
MIN_LAPSES = 30
SCORE_TOP_QUANTILE = 0.999  # the fitted sum at this quantile of the fit days maps to 100 points
_LIST_KEY = re.compile(r"^(\w+)\[(\d+)\]$")


class TooLittleData(ValueError):
    """Fewer lapses in the fit window than a fit can rest on."""


@dataclass
class Scorecard:
    cfg: RiskConfig  # the fitted configuration (tiers still the current ones)
    log_odds: dict[tuple[str, str], float]  # per term unit, before scaling and rounding
    factor: float  # points per unit of log-odds
    intercept: float
    dropped: list[str]  # terms held at zero by the monotone constraint


def _columns(data: FitData, cfg: RiskConfig) -> list[tuple[str, str]]:
    return [(s, k) for (s, k) in data.terms if s not in FIXED_SECTIONS and getattr(cfg, s).enabled]


def design(data: FitData, cfg: RiskConfig) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """The fit's matrix: one column per fitted term; a list key's steps as cumulative windows
    (column j: the unit of step 0..j), whose non-negative weights make the steps decrease."""
    cols = _columns(data, cfg)
    out = np.empty((len(data), len(cols)), dtype=np.float32)
    running: dict[tuple[str, str], np.ndarray] = {}
    for j, (s, k) in enumerate(cols):
        unit = data.terms[(s, k)]
        m = _LIST_KEY.match(k)
        if m:
            key = (s, m.group(1))
            unit = unit + running[key] if key in running else unit
            running[key] = unit
        out[:, j] = unit
    return out, cols


def nonnegative_logistic(
    x: np.ndarray, y: np.ndarray, c: float = 1.0
) -> tuple[np.ndarray, float, list[int]]:
    """L2-penalised logistic regression with every weight >= 0: fit, drop the columns that
    came out negative, refit, until none is. Columns are standardised for the solver."""
    sd = x.std(axis=0).astype(np.float64)
    active = [j for j in range(x.shape[1]) if sd[j] > 0]
    dropped = [j for j in range(x.shape[1]) if sd[j] == 0]
    coef = np.zeros(x.shape[1])
    intercept = float(np.log(max(y.mean(), 1e-9) / max(1 - y.mean(), 1e-9)))
    while active:
        # Newton steps on the small Gram matrix: a handful of passes over millions of rows.
        model = LogisticRegression(C=c, solver="newton-cholesky", max_iter=100)
        model.fit(x[:, active] / sd[active].astype(np.float32), y)
        w = model.coef_[0] / sd[active]
        if (w >= 0).all():
            coef[active] = w
            intercept = float(model.intercept_[0])
            break
        negative = [a for a, wi in zip(active, w, strict=True) if wi < 0]
        dropped += negative
        active = [a for a in active if a not in negative]
    return coef, intercept, sorted(dropped)


def _half(value: float) -> float:
    return round(value * 2) / 2


def fit_scorecard(data: FitData, cfg: RiskConfig, *, c: float = 1.0) -> Scorecard:
    """Fit on ``data`` (eligible rows only) and turn the weights into ``cfg``'s points."""
    rows = data.eligible
    lapses = int(data.label[rows].sum())
    if lapses < MIN_LAPSES:
        raise TooLittleData(
            f"too little data to fit: {lapses} lapses in the fit window, at least "
            f"{MIN_LAPSES} needed (load more history or widen --from/--to)"
        )
    x, cols = design(data.take(rows), cfg)
    y = data.label[rows]
    coef, intercept, dropped = nonnegative_logistic(x, y, c)
    linear = x.astype(np.float64) @ coef
    top = float(np.quantile(linear, SCORE_TOP_QUANTILE)) if len(linear) else 0.0
    factor = 100.0 / top if top > 0 else 0.0
    log_odds = {col: float(w) for col, w in zip(cols, coef, strict=True)}
    return Scorecard(
        cfg=scorecard_config(cfg, log_odds, factor),
        log_odds=log_odds,
        factor=factor,
        intercept=intercept,
        dropped=[f"{s}.{k}" for j, (s, k) in enumerate(cols) if j in dropped],
    )


def scorecard_config(
    cfg: RiskConfig, log_odds: dict[tuple[str, str], float], factor: float
) -> RiskConfig:
    """``cfg`` with each fitted key set to ``factor`` x its log-odds, rounded to halves (a
    list key's step k: the sum of the cumulative weights from k on), rule caps lifted to 100:
    the score is then the fitted sum itself, capped once at 100."""
    sections: dict[str, dict] = {}
    lists: dict[tuple[str, str], dict[int, float]] = {}
    for (s, k), w in log_odds.items():
        m = _LIST_KEY.match(k)
        if m:
            lists.setdefault((s, m.group(1)), {})[int(m.group(2))] = w
        else:
            sections.setdefault(s, {})[k] = min(_half(factor * w), 100.0)
    for (s, name), steps in lists.items():
        weights = [steps[i] for i in sorted(steps)]
        tail = np.cumsum(weights[::-1])[::-1]
        sections.setdefault(s, {})[name] = tuple(min(_half(factor * t), 100.0) for t in tail)
    update = {}
    for s, keys in sections.items():
        rule = getattr(cfg, s)
        if "max_points" in type(rule).model_fields:
            keys["max_points"] = 100.0
        update[s] = rule.model_copy(update=keys)
    return cfg.model_copy(update=update)


def alert_tiers(
    data: FitData, score: np.ndarray, budget: float, cfg: RiskConfig
) -> tuple[RiskConfig, dict[str, float]]:
    """Tiers so that a counselor with the median caseload has about ``budget`` clients high
    or critical a morning on ``data``'s days (critical: a third of that, moderate: 3 times).

    Returns the configuration with those tiers and what they give on ``data``: clients high or
    critical per counselor per day (median caseload), and the share of lapses they catch."""
    frame = pd.DataFrame({"c": np.nan_to_num(data.counselor_key, nan=-1), "day": data.day})
    per = frame.groupby("c")["day"].agg(["size", "nunique"])
    caseload = float(np.median(per["size"] / per["nunique"])) if len(per) else 0.0
    counselor_days = int(per["nunique"].sum())
    share = min(budget / max(caseload, 1e-9), 1.0)

    def at(frac: float) -> float:
        q = float(np.quantile(score, 1 - min(frac, 1.0))) if len(score) else 100.0
        return min(max(_half(q), 0.5), 100.0)

    # Strictly increasing and within (0, 100], however the scores are spread.
    high = min(max(at(share), 1.0), 99.5)
    critical = min(max(at(share / 3), high + 0.5), 100.0)
    moderate = min(at(share * 3), high - 0.5)
    tiers = Tiers(moderate=moderate, high=high, critical=critical)  # validated
    flagged = score >= high
    rows = data.eligible
    lapses = data.label & rows
    capture = float((flagged & lapses).sum() / lapses.sum()) if lapses.any() else float("nan")
    return cfg.model_copy(update={"tiers": tiers}), {
        "median_caseload": caseload,
        "high_per_counselor_day": float(flagged.sum() / max(counselor_days, 1)),
        "lapse_capture": capture,
    }

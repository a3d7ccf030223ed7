"""One ``caseload risk fit`` run: read, split by time, fit, judge on the holdout, maybe write.

The split is by calendar day: the holdout is the last ``holdout_days`` of the period, and the
fit keeps only days whose whole horizon ends before the holdout begins (a fit day's label
never looks at a holdout day). The written configuration is the one judged on the holdout,
so scoring the program with it and running ``evaluate-risk --from <holdout start>`` gives the
printed figures back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from etl.risk.client_day import to_date
from etl.risk.config import RiskConfig, load_config
from etl.risk.fit import Scorecard, alert_tiers, fit_scorecard
from etl.risk.fit_data import FitData, load_fit_data, score_from_terms
from etl.risk.fit_report import holdout_figures
from etl.risk.fit_write import write_config


@dataclass
class Split:
    fit: np.ndarray  # row mask
    holdout: np.ndarray
    holdout_start: int  # day number
    fit_end: int  # last fit day (its horizon ends the day before the holdout)


def time_split(data: FitData, holdout_days: int, horizon: int) -> Split:
    """Holdout: the last ``holdout_days`` days; fit: days whose horizon ends before it."""
    start = data.as_of - holdout_days + 1
    fit_end = start - 1 - horizon
    return Split(
        fit=data.day <= fit_end,
        holdout=data.day >= start,
        holdout_start=start,
        fit_end=fit_end,
    )


@dataclass
class FitResult:
    program_id: str
    card: Scorecard | None
    fitted: RiskConfig | None
    current: RiskConfig
    split: Split
    figures: dict[str, Any]
    tier_effect: dict[str, float]
    fit_rows: int
    fit_lapses: int
    fit_clients: int
    period: tuple[dt.date, dt.date]
    wins: bool = False
    written: Path | None = None
    notes: list[str] = field(default_factory=list)


def run_fit(
    engine: Engine,
    program_id: str,
    *,
    horizon: int = 7,
    start: dt.date | None = None,
    end: dt.date | None = None,
    holdout_days: int | None = None,
    alert_budget: float = 5,
    k: int = 5,
    reps: int = 200,
    config_dir: Path | None = None,
    data: FitData | None = None,
) -> FitResult:
    current = load_config(program_id, config_dir)
    if data is None:
        data = load_fit_data(engine, program_id, current, horizon=horizon, start=start, end=end)
    first = int(data.day.min())
    holdout_days = holdout_days or max((data.as_of - first + 1) // 3, horizon + 1)
    split = time_split(data, holdout_days, horizon)
    fit_part = data.take(split.fit)
    card = fit_scorecard(fit_part, current)  # raises TooLittleData
    fit_scores = score_from_terms(fit_part, card.cfg)
    fitted, effect = alert_tiers(fit_part, fit_scores, alert_budget, card.cfg)
    hold = data.take(split.holdout)
    scores = {"fitted points": score_from_terms(hold, fitted), "current points": hold.score}
    # The terms must give back the engine's own score, or the fitted figures mean nothing.
    again = score_from_terms(hold, current)
    if not np.array_equal(again, hold.score):
        raise RuntimeError("scores recomputed from the rules' terms differ from the engine's")
    figures = holdout_figures(
        hold, scores, {"fitted points": fitted, "current points": current}, k=k, reps=reps
    )
    figures["k"] = k
    r = figures["rankings"]
    return FitResult(
        program_id=program_id,
        card=card,
        fitted=fitted,
        current=current,
        split=split,
        figures=figures,
        tier_effect=effect,
        fit_rows=int(fit_part.eligible.sum()),
        fit_lapses=int((fit_part.label & fit_part.eligible).sum()),
        fit_clients=int(len(np.unique(fit_part.client_key))),
        period=(to_date(first), to_date(data.as_of)),
        wins=bool(r["fitted points"]["auroc"] > r["current points"]["auroc"]),
    )


def header(result: FitResult, horizon: int, budget: float) -> list[str]:
    """The written file's header: where the points came from and how well they did."""
    f = result.figures
    r = f["rankings"]
    fit_end = to_date(result.split.fit_end)
    hold_start = to_date(result.split.holdout_start)
    card = result.card
    assert card is not None
    lines = [
        f"Risk points for program {result.program_id}, fitted by `caseload risk fit`"
        f" on {dt.date.today().isoformat()}.",
        "Points are proportional to the log-odds of a lapse (reported use or positive screen)",
        f"in the next {horizon} days: {card.factor:.2f} points per unit of log-odds, rounded to",
        "halves; every weight held at zero or above. Disengagement keeps its points.",
        f"Data: {result.period[0]} .. {result.period[1]}. Fit: days up to {fit_end}"
        f" ({result.fit_rows:,} client-days with a known outcome, {result.fit_lapses:,}"
        f" lapses, {result.fit_clients:,} clients).",
        f"Holdout: {hold_start} .. {result.period[1]} ({f['n']:,} client-days,"
        f" {f['positives']:,} lapses, {f['clients']:,} clients; never in the fit).",
        f"Holdout AUROC {r['fitted points']['auroc']:.3f} (current points"
        f" {r['current points']['auroc']:.3f}, craving today {r['craving today']['auroc']:.3f});"
        f" PR-AUC {r['fitted points']['pr_auc']:.3f}; precision at {f['k']} per counselor per day"
        f" {r['fitted points']['precision_at_k']:.3f}.",
        f"Tiers from an alert budget of {budget:g} high-or-critical clients a morning"
        f" (median caseload {result.tier_effect['median_caseload']:.1f}); on the fit days they"
        f" caught {result.tier_effect['lapse_capture']:.1%} of lapses.",
        f"Check: caseload score --full, then caseload evaluate-risk --from {hold_start}.",
        "",
    ]
    if card.dropped:
        lines.insert(4, "Held at zero (no added risk found): " + ", ".join(card.dropped) + ".")
    return lines


def write_result(result: FitResult, out: Path, horizon: int, budget: float) -> None:
    assert result.fitted is not None
    write_config(out, result.current, result.fitted, header(result, horizon, budget))
    result.written = out

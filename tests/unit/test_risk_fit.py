"""The fit's arithmetic on hand-made data sets with a known answer: scorecard points, the
monotone constraint, the time split, the refusal on too little data. No database."""

from __future__ import annotations

import numpy as np
import pytest

from etl.risk.config import default_config
from etl.risk.fit import (
    MIN_LAPSES,
    TooLittleData,
    alert_tiers,
    fit_scorecard,
    scorecard_config,
)
from etl.risk.fit_data import FitData, score_from_terms
from etl.risk.fit_run import time_split


def make_data(terms: dict, label: np.ndarray, days: np.ndarray | None = None) -> FitData:
    """Rows of clients 0, 1, ... over 200 days each (client i // 200, day i % 200), 25
    clients per counselor."""
    n = len(label)
    days = np.arange(n) % 200 if days is None else days
    clients = np.arange(n) // 200
    return FitData(
        terms={k: np.asarray(v, dtype=np.float32) for k, v in terms.items()},
        client_key=clients,
        day=days.astype(np.int64),
        counselor_key=(clients // 25).astype(np.float64),
        label=label.astype(bool),
        eligible=np.ones(n, dtype=bool),
        score=np.zeros(n),
        craving_today=np.zeros(n),
        days_since_checkin=np.zeros(n),
        days_since_use=np.zeros(n),
        sex=np.full(n, "female", dtype=object),
        age=np.full(n, 30.0),
        as_of=int(days.max()),
    )


def simulate(weights: dict, n: int = 200_000, seed: int = 1, base: float = -2.5):
    """Binary term units and labels drawn from a logistic model with known log-odds."""
    rng = np.random.default_rng(seed)
    units = {k: (rng.random(n) < 0.3).astype(float) for k in weights}
    logit = base + sum(w * units[k] for k, w in weights.items())
    label = rng.random(n) < 1 / (1 + np.exp(-logit))
    return units, label


def test_scorecard_points_are_proportional_to_log_odds():
    cfg = default_config()
    card = scorecard_config(cfg, {("screen", "points"): 0.5, ("discordance", "points"): 1.0}, 10)
    assert card.screen.points == 5.0
    assert card.discordance.points == 10.0
    # Rounded to halves, caps lifted so the fitted sum is the score.
    card = scorecard_config(cfg, {("craving", "points_per_step"): 0.33}, 10)
    assert card.craving.points_per_step == 3.5
    assert card.craving.max_points == 100


def test_a_feature_with_twice_the_log_odds_gets_twice_the_points():
    units, label = simulate({("screen", "points"): 0.8, ("discordance", "points"): 1.6})
    card = fit_scorecard(make_data(units, label), default_config())
    one, two = card.cfg.screen.points, card.cfg.discordance.points
    assert one > 10
    assert two / one == pytest.approx(2.0, abs=0.1)
    assert card.log_odds[("screen", "points")] == pytest.approx(0.8, abs=0.05)
    assert card.log_odds[("discordance", "points")] == pytest.approx(1.6, abs=0.05)
    # The score stays 0-100: the largest fitted sum is 100 points.
    data = make_data(units, label)
    assert score_from_terms(data, card.cfg).max() <= 100


def test_weights_never_go_below_zero_and_use_steps_never_rise_with_time():
    # Truth: isolation protects (negative log-odds), older use weighs more than recent use.
    rng = np.random.default_rng(3)
    n = 200_000
    since = rng.integers(0, 40, n)
    bins = np.searchsorted([3, 7, 14, 30], since)  # 0..4 (4: no use within 30 days)
    iso = (rng.random(n) < 0.3).astype(float)
    truth = np.array([0.2, 0.4, 0.9, 1.2, 0.0])[bins] - 0.7 * iso
    label = rng.random(n) < 1 / (1 + np.exp(-(-2.0 + truth)))
    terms = {("use", f"points[{k}]"): (bins == k).astype(float) for k in range(4)}
    terms[("isolation", "points")] = iso
    card = fit_scorecard(make_data(terms, label), default_config())
    assert card.cfg.isolation.points == 0
    assert "isolation.points" in card.dropped
    steps = card.cfg.use.points
    assert all(p >= 0 for p in steps)
    assert list(steps) == sorted(steps, reverse=True), steps
    # The scorecard's score is what the engine's arithmetic gives for those points.
    data = make_data(terms, label)
    expected = np.round(np.array([*steps, 0.0])[bins], 1)
    np.testing.assert_array_equal(score_from_terms(data, card.cfg), expected)


def test_the_time_split_never_puts_a_holdout_day_into_the_fit():
    days = np.repeat(np.arange(300), 10)
    units, label = simulate({("screen", "points"): 1.0}, n=len(days))
    data = make_data(units, label, days=days)
    for horizon in (1, 7, 30):
        split = time_split(data, 100, horizon)
        assert not (split.fit & split.holdout).any()
        assert data.day[split.holdout].min() == split.holdout_start == 200
        # A fit day's label looks at most ``horizon`` days ahead: never into the holdout.
        assert data.day[split.fit].max() + horizon < split.holdout_start
        assert data.day[split.fit].max() == split.fit_end


def test_too_few_lapses_is_a_refusal_not_a_fit():
    units, _ = simulate({("screen", "points"): 1.0}, n=5_000)
    label = np.zeros(5_000, dtype=bool)
    label[: MIN_LAPSES - 1] = True
    with pytest.raises(TooLittleData, match=rf"{MIN_LAPSES - 1} lapses in the fit window"):
        fit_scorecard(make_data(units, label), default_config())
    label[MIN_LAPSES - 1] = True
    fit_scorecard(make_data(units, label), default_config())  # 30 lapses: fitted


def test_tiers_from_the_alert_budget():
    rng = np.random.default_rng(5)
    n = 500 * 200  # 500 clients of 20 counselors (25 each) over 200 days
    score = np.round(rng.uniform(0, 100, n), 1)
    data = make_data({("screen", "points"): np.zeros(n)}, rng.random(n) < 0.1)
    cfg, effect = alert_tiers(data, score, 5, default_config())
    assert effect["median_caseload"] == pytest.approx(25)
    # 5 of 25 clients a morning: the top fifth of scores.
    assert cfg.tiers.high == pytest.approx(80, abs=1)
    assert effect["high_per_counselor_day"] == pytest.approx(5, abs=0.2)
    assert cfg.tiers.moderate < cfg.tiers.high < cfg.tiers.critical


def test_tiers_stay_valid_when_almost_every_score_is_zero():
    n = 500 * 200
    score = np.zeros(n)
    score[:50] = 30.0
    data = make_data({("screen", "points"): np.zeros(n)}, np.zeros(n, dtype=bool))
    cfg, _ = alert_tiers(data, score, 5, default_config())
    assert 0 < cfg.tiers.moderate < cfg.tiers.high < cfg.tiers.critical <= 100

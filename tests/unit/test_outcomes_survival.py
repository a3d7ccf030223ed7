"""The survival curve of days in treatment against a maintained Kaplan-Meier estimator:
statsmodels' ``SurvfuncRight`` (lifelines, the usual choice, pins pandas below 3). The
hand-computed curve in tests/integration/test_outcomes_values.py checks the same function on a
program small enough to count by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from dashboard.read.outcomes import kaplan_meier


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kaplan_meier_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    durations = rng.integers(0, 120, size=200).astype(float)  # ties on purpose
    events = rng.random(200) < 0.6
    ours = kaplan_meier(durations, events).set_index("timeline")["survival"]
    theirs = SurvfuncRight(durations, events.astype(int))
    # statsmodels lists the event times; ours also has 0 and the censoring-only times, where
    # the curve holds its level.
    assert set(theirs.surv_times) <= set(ours.index)
    np.testing.assert_allclose(ours.loc[theirs.surv_times], theirs.surv_prob, rtol=1e-12)
    held = ours.reindex(np.arange(0, 120), method="ffill")
    expected = np.ones(120)
    for t, p in zip(theirs.surv_times, theirs.surv_prob, strict=True):
        expected[int(t) :] = p
    np.testing.assert_allclose(held.to_numpy(), expected, rtol=1e-12)


def test_no_discharge_keeps_everyone():
    curve = kaplan_meier(np.array([5.0, 9.0]), np.array([False, False]))
    assert list(curve["survival"]) == [1.0, 1.0, 1.0]

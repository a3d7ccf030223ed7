"""The survival curve of days in treatment against lifelines' Kaplan-Meier fitter.

lifelines pins pandas below 3, which Caseload is past, so it is not a project dependency: the
comparison runs where it is installed apart (``pip install --no-deps lifelines`` with its own
helpers), and the hand-computed curve in tests/integration/test_outcomes_values.py always runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.read.outcomes import kaplan_meier


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kaplan_meier_matches_lifelines(seed):
    KaplanMeierFitter = pytest.importorskip("lifelines").KaplanMeierFitter  # noqa: N806
    rng = np.random.default_rng(seed)
    durations = rng.integers(0, 120, size=200).astype(float)  # ties on purpose
    events = rng.random(200) < 0.6
    ours = kaplan_meier(durations, events)
    fitter = KaplanMeierFitter().fit(durations, events)
    theirs = fitter.survival_function_["KM_estimate"]
    assert list(ours["timeline"]) == list(theirs.index)
    np.testing.assert_allclose(ours["survival"].to_numpy(), theirs.to_numpy(), rtol=1e-12)


def test_no_discharge_keeps_everyone():
    curve = kaplan_meier(np.array([5.0, 9.0]), np.array([False, False]))
    assert list(curve["survival"]) == [1.0, 1.0, 1.0]

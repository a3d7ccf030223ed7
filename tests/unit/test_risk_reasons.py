"""Reasons JSON built once per distinct reason: the same text as rendering every cell."""

from __future__ import annotations

import json

import numpy as np

from etl.risk import textvec as tv
from etl.risk.reasons import build_reasons, distinct_rows
from etl.risk.rules import RuleOutput


def _rule(code: str, points: np.ndarray, level: np.ndarray) -> RuleOutput:
    def text(v):
        return tv.cat(
            f"{code} level ", tv.text_number(v["level"], "g"), tv.pick(v["flag"] > 0, "!")
        )

    return RuleOutput(
        code=code,
        signal=code,
        points=points,
        values={"level": (level, 1)},
        text=text,
        hidden={"flag": (level > 5).astype(np.float64)},
    )


def test_distinct_rows_groups_equal_rows_and_refuses_text():
    a = np.array([1.0, 2.0, 1.0, np.nan, np.nan])
    b = np.array([0, 1, 0, 3, 3])
    first, inverse = distinct_rows([a, b])
    assert len(first) == 3
    assert inverse[0] == inverse[2] and inverse[3] == inverse[4]
    assert len({inverse[0], inverse[1], inverse[3]}) == 3
    assert np.array_equal(a[first][inverse], a, equal_nan=True)
    assert distinct_rows([a, np.array(["x"] * 5, dtype=object)]) is None


def test_reasons_of_repeated_values_match_each_day_rendered_alone():
    rng = np.random.default_rng(3)
    n = 400
    level_a = rng.integers(0, 10, n).astype(np.float64)
    level_a[rng.random(n) < 0.1] = np.nan
    level_b = rng.integers(0, 4, n) * 2.5
    points_a = np.where(rng.random(n) < 0.6, rng.integers(1, 4, n) * 5.0, 0.0)
    points_b = np.where(rng.random(n) < 0.5, rng.integers(1, 4, n) * 5.0, 0.0)  # ties with a
    rules = [_rule("alpha", points_a, level_a), _rule("beta", points_b, level_b)]
    cells = np.arange(n)
    score, reasons = build_reasons(rules, cells)
    for i in range(n):
        expected = []
        for rule, points, level in ((rules[0], points_a, level_a), (rules[1], points_b, level_b)):
            if points[i] > 0:
                text = f"{rule.code} level " + ("" if np.isnan(level[i]) else f"{level[i]:g}")
                text += "!" if level[i] > 5 else ""
                shown = None if np.isnan(level[i]) else round(float(level[i]), 1)
                expected.append(
                    {
                        "code": rule.code,
                        "signal": rule.code,
                        "text": text,
                        "points": float(points[i]),
                        "values": {"level": shown},
                    }
                )
        expected.sort(key=lambda r: -r["points"])  # stable: ties keep rule order
        assert json.loads(reasons[i]) == expected, i
        assert score[i] == min(points_a[i] + points_b[i], 100.0)

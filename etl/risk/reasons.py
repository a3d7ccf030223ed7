"""Ranked reasons as the JSON the dashboard shows, built for millions of client-days.

A reason is ``{"code", "signal", "text", "points", "values"}``; a day's reasons are a list
ranked by points (ties in rule order). Serialising a dict per client-day with ``json.dumps``
would dominate a full rescore, so each rule's reasons are assembled column-wise from
vectorised pieces (see ``textvec``). The texts are made only of fixed words, numbers, dates and
trigger names, so they need no JSON escaping (a unit test holds every rule to that).
"""

from __future__ import annotations

import numpy as np

from etl.risk import textvec as tv
from etl.risk.rules import RuleOutput


def _at(array: np.ndarray, shape: tuple[int, ...], cells: np.ndarray) -> np.ndarray:
    return np.broadcast_to(array, shape).reshape(-1)[cells]


def rule_reasons(rule: RuleOutput, cells: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The JSON object of ``rule``'s reason for each of the flat grid ``cells``."""
    shape = rule.points.shape
    values = {name: _at(arr, shape, cells) for name, (arr, _) in rule.values.items()}
    hidden = {name: _at(arr, shape, cells) for name, arr in rule.hidden.items()}
    text = rule.text(values | hidden)
    parts = [
        tv.cat(f'"{name}":', tv.json_number(values[name], decimals))
        for name, (_, decimals) in rule.values.items()
    ]
    return tv.cat(
        f'{{"code":"{rule.code}","signal":"{rule.signal}","text":"',
        text,
        '","points":',
        tv.json_number(points, 1),
        ',"values":{',
        tv.join(parts, ","),
        "}}",
    )


def build_reasons(rules: list[RuleOutput], cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score (sum of points, capped at 100) and ranked reasons JSON for the flat ``cells``."""
    n = len(cells)
    if not rules or n == 0:
        return np.zeros(n), np.full(n, "[]", dtype=object)
    points = np.stack([r.points.reshape(-1)[cells] for r in rules], axis=1)
    fragments = np.full(points.shape, "", dtype=object)
    for j, rule in enumerate(rules):
        rows = np.flatnonzero(points[:, j] > 0)
        if len(rows):
            fragments[rows, j] = rule_reasons(rule, cells[rows], points[rows, j])
    score = np.round(np.minimum(points.sum(axis=1), 100.0), 1)
    order = np.argsort(-points, axis=1, kind="stable")
    ranked = np.take_along_axis(fragments, order, axis=1)
    fired = (points > 0).sum(axis=1)
    out = ranked[:, 0].copy()
    for j in range(1, int(fired.max())):
        rows = np.flatnonzero(fired > j)
        out[rows] = out[rows] + ("," + ranked[rows, j])
    return score, "[" + out + "]"

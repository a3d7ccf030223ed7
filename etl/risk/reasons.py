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
    numbers = [
        tv.json_number(values[name], decimals) for name, (_, decimals) in rule.values.items()
    ]
    fields = ",".join(f'"{name}":{{}}' for name in rule.values)
    template = (
        f'{{{{"code":"{rule.code}","signal":"{rule.signal}","text":"{{}}","points":{{}},'
        f'"values":{{{{{fields}}}}}}}}}'
    )
    out = np.empty(len(cells), dtype=object)
    out[:] = list(map(template.format, text, tv.json_number(points, 1), *numbers))
    return out


def build_reasons(rules: list[RuleOutput], cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score (sum of points, capped at 100) and ranked reasons JSON for the flat ``cells``."""
    n = len(cells)
    if not rules or n == 0:
        return np.zeros(n), np.full(n, "[]", dtype=object)
    rows_l, rank_l, rule_l, frag_l = [], [], [], []
    total = np.zeros(n)
    for j, rule in enumerate(rules):
        points = rule.points.reshape(-1)[cells]
        total += points
        rows = np.flatnonzero(points > 0)
        if len(rows):
            rows_l.append(rows)
            rank_l.append(points[rows])
            rule_l.append(np.full(len(rows), j))
            frag_l.append(rule_reasons(rule, cells[rows], points[rows]))
    score = np.round(np.minimum(total, 100.0), 1)
    out = np.full(n, "[]", dtype=object)
    if not rows_l:
        return score, out
    rows = np.concatenate(rows_l)
    frags = np.concatenate(frag_l)
    # Ranked by points within each day, ties in rule order.
    order = np.lexsort((np.concatenate(rule_l), -np.concatenate(rank_l), rows))
    rows, frags = rows[order], frags[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    later = ~first
    frags[later] = "," + frags[later]
    joined = np.add.reduceat(frags, np.flatnonzero(first))
    out[rows[first]] = "[" + joined + "]"
    return score, out

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


def distinct_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """For numeric columns of equal length: the index of one row of each distinct combination
    of values (compared bit for bit) and each row's distinct combination; ``None`` when a
    column is not numeric."""
    if any(np.asarray(c).dtype.kind not in "biuf" for c in columns):
        return None
    key = np.ascontiguousarray(np.column_stack([np.asarray(c, np.float64) for c in columns]))
    void = key.view(np.dtype((np.void, key.shape[1] * 8))).reshape(-1)
    _, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def rule_reasons(rule: RuleOutput, cells: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The JSON object of ``rule``'s reason for each of the flat grid ``cells``."""
    texts, index = rule_fragments(rule, cells, points)
    return texts[index]


def rule_fragments(
    rule: RuleOutput, cells: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``rule``'s distinct reason objects for the flat grid ``cells``, and each cell's one.

    A reason is a function of the cell's points, values and hidden numbers alone, and most
    client-days share theirs with many others (the same craving today, the same 2 of 7
    check-ins): each distinct combination is rendered once."""
    shape = rule.points.shape
    values = {name: _at(arr, shape, cells) for name, (arr, _) in rule.values.items()}
    hidden = {name: _at(arr, shape, cells) for name, arr in rule.hidden.items()}
    found = distinct_rows([points, *values.values(), *hidden.values()])
    if found is None:
        return _render(rule, values, hidden, points), np.arange(len(cells))
    first, inverse = found
    values = {name: v[first] for name, v in values.items()}
    hidden = {name: v[first] for name, v in hidden.items()}
    return _render(rule, values, hidden, points[first]), inverse


def _render(rule: RuleOutput, values: dict, hidden: dict, points: np.ndarray) -> np.ndarray:
    text = rule.text(values | hidden)
    numbers = [
        tv.json_number(values[name], decimals) for name, (_, decimals) in rule.values.items()
    ]
    fields = ",".join(f'"{name}":{{}}' for name in rule.values)
    template = (
        f'{{{{"code":"{rule.code}","signal":"{rule.signal}","text":"{{}}","points":{{}},'
        f'"values":{{{{{fields}}}}}}}}}'
    )
    out = np.empty(len(points), dtype=object)
    out[:] = list(map(template.format, text, tv.json_number(points, 1), *numbers))
    return out


def build_reasons(rules: list[RuleOutput], cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score (sum of points, capped at 100) and ranked reasons JSON for the flat ``cells``."""
    n = len(cells)
    if not rules or n == 0:
        return np.zeros(n), np.full(n, "[]", dtype=object)
    rows_l, rank_l, rule_l, id_l, pool_l = [], [], [], [], []
    total = np.zeros(n)
    pooled = 0
    for j, rule in enumerate(rules):
        points = rule.points.reshape(-1)[cells]
        total += points
        rows = np.flatnonzero(points > 0)
        if len(rows):
            texts, index = rule_fragments(rule, cells[rows], points[rows])
            rows_l.append(rows)
            rank_l.append(points[rows])
            rule_l.append(np.full(len(rows), j))
            id_l.append(index + pooled)
            pool_l.append(texts)
            pooled += len(texts)
    score = np.round(np.minimum(total, 100.0), 1)
    out = np.full(n, "[]", dtype=object)
    if not rows_l:
        return score, out
    rows = np.concatenate(rows_l)
    ids = np.concatenate(id_l)
    # Ranked by points within each day, ties in rule order.
    order = np.lexsort((np.concatenate(rule_l), -np.concatenate(rank_l), rows))
    rows, ids = rows[order], ids[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    last = np.r_[rows[1:] != rows[:-1], True]
    # Each distinct reason with the brackets and commas of its place in a day's list (first,
    # last, both or neither), so that joining a day's reasons is the only concatenation.
    pool = np.concatenate(pool_l)
    placed = np.stack(["," + pool, "[" + pool, "," + pool + "]", "[" + pool + "]"])
    frags = placed[first.astype(np.int64) + 2 * last.astype(np.int64), ids]
    out[rows[first]] = np.add.reduceat(frags, np.flatnonzero(first))
    return score, out

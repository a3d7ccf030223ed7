"""Ranked reasons as the JSON the dashboard shows, built for millions of client-days.

A reason is ``{"code", "signal", "text", "points", "values"}``; a day's reasons are a list
ranked by points. Formatting a sentence per client-day in Python would dominate a full
rescore, so each rule's firing cells are reduced to the distinct combinations of the numbers
its sentence shows (far fewer than cells), each combination is rendered once, and the per-day
lists are assembled with vectorised concatenation.
"""

from __future__ import annotations

import json

import numpy as np

from etl.risk.rules import RuleOutput

_MISSING = np.iinfo(np.int64).min // 4


def _scaled(values: np.ndarray, decimals: int) -> np.ndarray:
    scaled = np.round(values * 10**decimals)
    return np.where(np.isnan(scaled), _MISSING, scaled).astype(np.int64)


def unique_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of integer columns and, per row, the index of its distinct row."""
    mat = np.stack(columns, axis=1)
    lo, hi = mat.min(axis=0), mat.max(axis=0)
    radix = (hi - lo + 1).astype(object)
    if np.prod(radix) < 2**62:
        key = np.zeros(len(mat), dtype=np.int64)
        for j in range(mat.shape[1]):
            key = key * int(radix[j]) + (mat[:, j] - lo[j])
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return mat[first], inverse.reshape(-1)
    uniq, inverse = np.unique(mat, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)


def _render(rule: RuleOutput, row: np.ndarray) -> str:
    values: dict[str, float | int | None] = {}
    for (name, (_, decimals)), raw in zip(rule.values.items(), row[:-1], strict=True):
        if raw == _MISSING:
            values[name] = None
        elif decimals == 0:
            values[name] = int(raw)
        else:
            values[name] = round(float(raw) / 10**decimals, decimals)
    reason = {
        "code": rule.code,
        "signal": rule.signal,
        "text": rule.text(values),
        "points": round(float(row[-1]) / 10, 1),
        "values": values,
    }
    return json.dumps(reason, separators=(",", ":"))


def build_reasons(rules: list[RuleOutput], cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score and the ranked reasons JSON for the flat grid ``cells``.

    Returns (score, reasons) where reasons is an object array of JSON strings.
    """
    n = len(cells)
    if not rules or n == 0:
        return np.zeros(n), np.full(n, "[]", dtype=object)
    points = np.stack([r.points.reshape(-1)[cells] for r in rules], axis=1)
    ids = np.full(points.shape, -1, dtype=np.int64)
    first_frags: list[str] = []
    for j, rule in enumerate(rules):
        rows = np.flatnonzero(points[:, j] > 0)
        if not len(rows):
            continue
        at = cells[rows]
        cols = [
            _scaled(np.broadcast_to(arr, rule.points.shape).reshape(-1)[at], dec)
            for arr, dec in rule.values.values()
        ]
        cols.append(_scaled(points[rows, j], 1))
        uniq, inverse = unique_rows(cols)
        ids[rows, j] = len(first_frags) + inverse
        first_frags.extend(_render(rule, row) for row in uniq)
    score = np.round(np.minimum(points.sum(axis=1), 100.0), 1)
    order = np.argsort(-points, axis=1, kind="stable")
    ranked = np.take_along_axis(ids, order, axis=1)
    fired = int((points > 0).sum(axis=1).max())
    first = np.array([*first_frags, ""], dtype=object)  # index -1 -> ""
    rest = np.array([*("," + f for f in first_frags), ""], dtype=object)
    out = "[" + first[ranked[:, 0]]
    for j in range(1, fired):
        out = out + rest[ranked[:, j]]
    return score, out + "]"

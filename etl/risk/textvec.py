"""Vectorised sentence building: one reason text per firing client-day without a Python loop.

Strings live in numpy object arrays; concatenation, choice and joining run in numpy's loops
(tens of nanoseconds per element), and numbers are formatted once per distinct value, which
is what keeps a full rescore of millions of client-days within seconds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_MISSING = np.iinfo(np.int64).min // 4


def fmt(values: np.ndarray, render: Callable[[float | None], str], decimals: int = 1):
    """Format each value with ``render`` (None for NaN), calling it once per distinct value
    after rounding to ``decimals``: through a lookup table over the value range when the range
    is small (the usual case: counts, days, 0-10 scales), else through ``np.unique``."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return np.zeros(0, dtype=object)
    scaled = np.round(values * 10**decimals)
    missing = np.isnan(scaled)
    known = scaled[~missing]
    if not len(known):
        return np.full(len(values), render(None), dtype=object)
    lo, hi = int(known.min()), int(known.max())
    if hi - lo <= 20_000:
        table = np.array(
            [render(v / 10**decimals + 0.0) for v in range(lo, hi + 1)] + [render(None)],
            dtype=object,
        )
        index = np.where(missing, hi - lo + 1, np.nan_to_num(scaled, nan=lo) - lo)
        return table[index.astype(np.int64)]
    keys = np.where(missing, _MISSING, scaled).astype(np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    table = np.array(
        [render(None if u == _MISSING else u / 10**decimals + 0.0) for u in uniq.tolist()],
        dtype=object,
    )
    return table[inverse.reshape(-1)]


def json_number(values: np.ndarray, decimals: int) -> np.ndarray:
    """Values as JSON numbers (``null`` for NaN): integers, or floats rounded to ``decimals``."""
    if decimals == 0:
        return fmt(values, lambda v: "null" if v is None else str(int(v)), 0)
    return fmt(values, lambda v: "null" if v is None else repr(round(v, decimals)), decimals)


def text_number(values: np.ndarray, spec: str = ".1f") -> np.ndarray:
    decimals = 0 if spec in ("d", "g0") else 1
    if spec == "d":
        return fmt(values, lambda v: "" if v is None else str(int(v)), 0)
    return fmt(values, lambda v: "" if v is None else format(v, spec), decimals)


def pick(condition: np.ndarray, then, otherwise="") -> np.ndarray:
    """``then`` where ``condition`` holds, else ``otherwise`` (arrays or plain strings)."""
    return np.where(condition, then, otherwise).astype(object)


def cat_where(condition: np.ndarray, *parts) -> np.ndarray:
    """``cat(*parts)`` where ``condition`` holds and "" elsewhere, concatenating only there."""
    condition = np.asarray(condition, dtype=bool)
    out = np.full(condition.shape, "", dtype=object)
    if condition.any():
        sub = [p[condition] if isinstance(p, np.ndarray) else p for p in parts]
        out[condition] = cat(*sub)
    return out


def cat(*parts) -> np.ndarray:
    """Concatenate strings and object arrays element by element."""
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return np.asarray(out, dtype=object)


def join(parts: list[np.ndarray], sep: str) -> np.ndarray:
    """Join the non-empty parts of each element with ``sep``."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        part = np.asarray(part, dtype=object)
        both = (out != "") & (part != "")
        out = out + pick(both, sep) + part
    return out

"""Personal baselines: each signal against the client's own recent weeks.

The band for a day is the median and interquartile range of the previous 28 days (the day
itself excluded, at least 7 values), so a spike shows against what is usual for this client
rather than against a fixed population threshold.
"""

from __future__ import annotations

import pandas as pd

WINDOW_DAYS = 28
MIN_VALUES = 7


def baseline_bands(
    days: pd.DataFrame,
    signals: tuple[str, ...],
    window: int = WINDOW_DAYS,
    min_values: int = MIN_VALUES,
) -> pd.DataFrame:
    """Add ``<signal>_median``, ``_q25`` and ``_q75`` columns (one row per calendar day in)."""
    out = days.copy()
    for signal in signals:
        values = pd.to_numeric(out[signal], errors="coerce").astype("float64").shift(1)
        rolling = values.rolling(window, min_periods=min_values)
        out[f"{signal}_median"] = rolling.median()
        out[f"{signal}_q25"] = rolling.quantile(0.25)
        out[f"{signal}_q75"] = rolling.quantile(0.75)
    return out

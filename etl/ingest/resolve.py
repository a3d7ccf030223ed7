"""Shared steps of the kinds' builders: referential look-ups and time zone resolution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.ingest.problems import Problems


def look_up(
    ids: pd.Series,
    table: pd.DataFrame,
    columns: list[str],
    problems: Problems,
    column: str,
    hint: str,
) -> pd.DataFrame:
    """Join ``ids`` to a lookup frame (indexed by natural id); unknown ids become problems.

    Blank ids are left alone: whether they are allowed is the field's business.
    """
    found = table.reindex(ids.to_numpy(dtype=object))[columns]
    found.index = ids.index
    missing = ids.notna().to_numpy() & found[columns[0]].isna().to_numpy()
    for pos in np.flatnonzero(missing):
        value = ids.iloc[pos]
        problems.add(pos, column, value, f"unknown {column} '{value}' {hint}")
    return found


def to_utc(stamp: pd.Series, is_utc: pd.Series, zones: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Resolve timestamps to UTC and to the program-local calendar date.

    A naive wall-clock time is read in its program's zone: in the repeated hour when clocks go
    back, the first (daylight) reading is taken; a time inside the skipped hour moves forward.
    Both results are naive datetimes (UTC, and local midnight of the day).
    """
    utc = pd.Series(pd.NaT, index=stamp.index, dtype="datetime64[us]")
    local = pd.Series(pd.NaT, index=stamp.index, dtype="datetime64[us]")
    aware = is_utc.to_numpy(dtype=bool)
    zone_values = zones.to_numpy(dtype=object)
    for zone in pd.unique(zones.dropna()):
        in_zone = zone_values == zone
        naive_rows = in_zone & ~aware
        if naive_rows.any():
            wall = stamp[naive_rows]
            placed = wall.dt.tz_localize(
                zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
            )
            utc[naive_rows] = placed.dt.tz_convert("UTC").dt.tz_localize(None)
            local[naive_rows] = placed.dt.tz_localize(None)
        aware_rows = in_zone & aware
        if aware_rows.any():
            instant = stamp[aware_rows]
            utc[aware_rows] = instant
            local[aware_rows] = (
                instant.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
            )
    return utc, local.dt.normalize()

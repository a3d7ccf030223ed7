"""Personal baselines, deviations and trends, for every client and day at once.

A craving of 6 means little on its own: for one client it is a quiet day, for another the
worst week in months. Each signal is therefore compared with the client's own recent history:
the mean and SD of the answered days in the trailing window (today excluded, missed days
ignored), the deviation of each day from it in SDs, and the least-squares slope over the last
week. Everything is a cumulative sum along the day axis, so the cost is linear in cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.risk.client_day import ClientDays, rolling_sum
from etl.risk.config import RiskConfig
from etl.vocabulary import SIGNALS


@dataclass
class SignalStats:
    baseline: np.ndarray  # mean of the trailing window, NaN before enough answered days
    sd: np.ndarray  # SD of the trailing window (raw; rules apply their floor)
    trend: np.ndarray  # slope in points per day over the trend window, NaN if too few days
    latest: np.ndarray  # the last answer within the recent days, NaN if none
    latest_age: np.ndarray  # days since that answer (0 = today)


def signal_stats(values: np.ndarray, cfg: RiskConfig) -> SignalStats:
    w = cfg.windows
    obs = ~np.isnan(values)
    x = np.where(obs, values, 0.0)
    obs_f = obs.astype(np.float64)

    k = rolling_sum(obs_f, w.baseline_days, lag=1)
    s1 = rolling_sum(x, w.baseline_days, lag=1)
    s2 = rolling_sum(x * x, w.baseline_days, lag=1)
    enough = k >= w.baseline_min_days
    kk = np.maximum(k, 2)
    mean = np.where(enough, s1 / np.maximum(k, 1), np.nan)
    var = np.maximum((s2 - s1 * s1 / kk) / (kk - 1), 0.0)
    sd = np.where(enough, np.sqrt(var), np.nan)

    n_days = values.shape[1]
    idx = np.arange(n_days, dtype=np.float64)[None, :]
    kt = rolling_sum(obs_f, w.trend_days)
    st = rolling_sum(obs_f * idx, w.trend_days)
    stt = rolling_sum(obs_f * idx * idx, w.trend_days)
    sx = rolling_sum(x, w.trend_days)
    stx = rolling_sum(x * idx, w.trend_days)
    denom = kt * stt - st * st
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (kt * stx - st * sx) / denom
    trend = np.where((kt >= w.trend_min_days) & (denom > 0), slope, np.nan)

    pos = np.maximum.accumulate(np.where(obs, idx.astype(np.int64), -1), axis=1)
    age = (idx - pos).astype(np.float64)
    latest = np.take_along_axis(values, np.maximum(pos, 0), axis=1)
    recent = (pos >= 0) & (age < w.recent_days)
    return SignalStats(
        baseline=mean,
        sd=sd,
        trend=trend,
        latest=np.where(recent, latest, np.nan),
        latest_age=np.where(recent, age, np.nan),
    )


def deviation_days(
    values: np.ndarray, stats: SignalStats, *, z: float, sd_floor: float, direction: int, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """How many of the last ``days`` days deviated from the baseline by ``z`` SDs or more in
    ``direction`` (+1 above, -1 below), and the mean deviation (in SDs) on those days."""
    zs = direction * (values - stats.baseline) / np.maximum(stats.sd, sd_floor)
    hit = np.nan_to_num(zs, nan=-np.inf) >= z
    count = rolling_sum(hit.astype(np.float64), days)
    total = rolling_sum(np.where(hit, zs, 0.0), days)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_z = np.where(count > 0, total / count, np.nan)
    return count, mean_z


def all_signal_stats(days: ClientDays, cfg: RiskConfig) -> dict[str, SignalStats]:
    return {name: signal_stats(days.signals[name], cfg) for name in SIGNALS}


def recent_mean(values: np.ndarray, days: int) -> np.ndarray:
    """The mean of the answered days among the last ``days`` (today included), NaN if none."""
    obs = ~np.isnan(values)
    count = rolling_sum(obs.astype(np.float64), days)
    total = rolling_sum(np.where(obs, values, 0.0), days)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)

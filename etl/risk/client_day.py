"""One row per enrolled client per day: what was expected, what came in, what it said.

Check-ins and screens are events; risk needs days. This module lays each client's events on a
dense client x day grid (numpy arrays of shape ``(n_clients, n_days)``), so that a missed
check-in is a cell that says so, and every rolling window after it is a vectorised cumulative
sum instead of a loop over clients. Pure: DataFrames in, arrays out, no database.

Days are integers (days since 1970-01-01) inside this package; the grid starts at ``start``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.vocabulary import SIGNALS, TRIGGERS

SCHEDULES = {"daily": 0, "weekdays": 1, "weekly": 2}
IRREGULAR_SCREENS = ("refused", "dilute", "invalid")
EPOCH = dt.date(1970, 1, 1)


def to_day(value: dt.date) -> int:
    return (value - EPOCH).days


def to_date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def day_numbers(values: pd.Series) -> np.ndarray:
    """Dates (date objects, ISO strings or datetimes) as float day numbers, NaN for missing."""
    if values.dtype.kind in "iuf":
        return values.to_numpy(dtype=np.float64)
    parsed = pd.to_datetime(values, errors="coerce")
    out = np.full(len(values), np.nan)
    ok = parsed.notna().to_numpy()
    out[ok] = parsed[ok].to_numpy().astype("datetime64[D]").astype(np.int64)
    return out


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 with NaN for missing (booleans become 1.0 / 0.0)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    col = frame[column]
    if col.dtype == object or str(col.dtype) in ("boolean", "str", "string"):
        col = col.map(lambda v: np.nan if v is None or v is pd.NA else float(v))
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass
class ClientDays:
    """The client x day grid for a set of clients, from ``start`` for ``n_days`` days.

    ``first`` is, per client, the first day index whose rows are to be (re)written; the days
    before it exist only to fill rolling windows.
    """

    client_keys: np.ndarray
    start: int
    n_days: int
    admission: np.ndarray
    discharge: np.ndarray  # NaN while active
    schedule: np.ndarray
    first: np.ndarray
    enrolled: np.ndarray
    checkin_count: np.ndarray
    received: np.ndarray
    expected: np.ndarray
    missed: np.ndarray
    pending: np.ndarray  # expected today, day not over, nothing yet: neither met nor missed
    missed_streak: np.ndarray
    adherence_7d: np.ndarray
    adherence_28d: np.ndarray
    signals: dict[str, np.ndarray]
    used_reported: np.ndarray
    denied_use: np.ndarray  # a check-in answered "no use", none "use": the day's report
    screened: np.ndarray  # any drug screen collected that day
    screen_positive: np.ndarray
    positive_substance: np.ndarray  # index into ``substances`` of the day's positive screen
    substances: tuple[str, ...]
    screen_irregular: np.ndarray
    triggers: dict[str, np.ndarray]
    trigger_count: np.ndarray
    support_contact: np.ndarray  # 1 yes, 0 no, NaN not answered
    days_since_checkin: np.ndarray
    days_since_support: np.ndarray
    days_since_use: np.ndarray
    days_since_selfreport: np.ndarray
    days_since_positive: np.ndarray
    days_since_irregular: np.ndarray
    irregular_kind_last: np.ndarray  # 1 refused, 2 dilute, 3 invalid: the last such screen
    # The latest BAM form as of each day (``etl.risk.bam_signal``), when the BAM rule is on.
    bam_risk: np.ndarray | None = None
    bam_protective: np.ndarray | None = None
    bam_age: np.ndarray | None = None

    @property
    def days(self) -> np.ndarray:
        return self.start + np.arange(self.n_days)

    @property
    def output(self) -> np.ndarray:
        """Cells to write: enrolled days from each client's first recomputed day on."""
        return self.enrolled & (np.arange(self.n_days)[None, :] >= self.first[:, None])


def rolling_sum(values: np.ndarray, window: int, *, lag: int = 0) -> np.ndarray:
    """Sum over the ``window`` days ending ``lag`` days before each day (partial at the start)."""
    n, t = values.shape
    csum = np.zeros((n, t + 1), dtype=np.float64)
    np.cumsum(values, axis=1, out=csum[:, 1:])
    idx = np.arange(t)
    hi = np.clip(idx - lag + 1, 0, t)
    lo = np.clip(idx - lag - window + 1, 0, t)
    return csum[:, hi] - csum[:, lo]


def days_since(event: np.ndarray, seed: np.ndarray, seed_at: np.ndarray | None = None):
    """Days since the last day with ``event`` (0 on the day); before the first event in the
    grid, ``seed`` (the value on the day before index ``seed_at``, default 0) plus the days
    elapsed since, NaN if unknown."""
    n, t = event.shape
    idx = np.arange(t)
    last = np.maximum.accumulate(np.where(event, idx[None, :], -1), axis=1)
    out = (idx[None, :] - last).astype(np.float64)
    none_yet = last < 0
    at = np.zeros(n) if seed_at is None else seed_at
    carried = seed[:, None] + 1.0 + idx[None, :] - at[:, None]
    out[none_yet] = np.broadcast_to(carried, (n, t))[none_yet]
    return out


def _last_per_cell(flat: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Value of the last event of each cell (events sorted by cell then time), ignoring NaN."""
    out = np.full(size, np.nan)
    ok = ~np.isnan(values)
    f, v = flat[ok], values[ok]
    if len(f):
        last = np.r_[f[1:] != f[:-1], True]
        out[f[last]] = v[last]
    return out


def _any_per_cell(flat: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(flat[mask], minlength=size) > 0


def _seed(seeds: pd.DataFrame | None, keys: np.ndarray, column: str, default: np.ndarray):
    if seeds is None or seeds.empty or column not in seeds:
        return default
    s = pd.Series(_num(seeds, column), index=seeds["client_key"].to_numpy())
    got = s.reindex(keys).to_numpy(dtype=np.float64)
    return np.where(np.isnan(got), default, got)


def build_client_days(
    clients: pd.DataFrame,
    checkins: pd.DataFrame,
    screens: pd.DataFrame,
    start: dt.date | int,
    end: dt.date | int,
    *,
    first: dict[int, int] | None = None,
    data_start: dict[int, int] | None = None,
    seeds: pd.DataFrame | None = None,
    open_day: int | None = None,
) -> ClientDays:
    """Lay check-ins and screens of ``clients`` on the grid ``[start, end]``.

    ``clients``: client_key, admission_date, discharge_date, checkin_schedule.
    ``checkins``: client_key, local_date, [submitted_at], the signal columns, used_since_last,
    support_contact and trigger_<category> booleans (or their day numbers already in ``day``).
    ``screens``: client_key, local_date (or ``day``), result.
    ``first``: client_key -> first day number to write (default: ``start``).
    ``data_start``: client_key -> first day whose events were read (default: admission);
    earlier days of that client are left out of its grid.
    ``seeds``: the stored row of each client on the day before its data start (missed_streak,
    days_since_checkin, days_since_support, days_since_use), so that streaks and "days since"
    continue across an incremental recompute instead of restarting.
    ``open_day``: the day number of a day not yet over in the program's time zone (today, in
    a morning load): its expected check-ins not yet received are pending, not missed.
    """
    start = to_day(start) if isinstance(start, dt.date) else int(start)
    end = to_day(end) if isinstance(end, dt.date) else int(end)
    clients = clients.sort_values("client_key", kind="stable")
    keys = clients["client_key"].to_numpy(dtype=np.int64)
    n, t = len(keys), max(end - start + 1, 0)
    size = n * t
    admission = day_numbers(clients["admission_date"])
    discharge = (
        day_numbers(clients["discharge_date"])
        if "discharge_date" in clients
        else np.full(n, np.nan)
    )
    schedule = clients["checkin_schedule"].astype(object).map(SCHEDULES).fillna(0).to_numpy(np.int8)
    days = start + np.arange(t)
    begin = admission.copy()
    if data_start:
        begin = np.maximum(begin, [data_start.get(int(k), -(10**9)) for k in keys])
    begin = np.maximum(begin, start)
    enrolled = (days[None, :] >= begin[:, None]) & ~(days[None, :] > discharge[:, None])
    begin_idx = begin - start
    first_arr = np.zeros(n, dtype=np.int64)
    if first:
        first_arr = np.array([first.get(int(k), start) - start for k in keys], dtype=np.int64)

    def locate(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if frame.empty or n == 0:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        fk = frame["client_key"].to_numpy(dtype=np.int64)
        fd = frame["day"].to_numpy() if "day" in frame else day_numbers(frame["local_date"])
        ci = np.clip(np.searchsorted(keys, fk), 0, n - 1)
        ok = (keys[ci] == fk) & ~np.isnan(fd.astype(np.float64))
        di = np.where(ok, fd, start).astype(np.int64) - start
        ok &= (di >= 0) & (di < t)
        cell = ci * t + np.clip(di, 0, max(t - 1, 0))
        ok &= enrolled.reshape(-1)[cell] if size else ok
        return cell, ok

    # Check-ins: sorted by cell then submission time, so "last of the day" is well defined.
    if not checkins.empty and "submitted_at" in checkins:
        checkins = checkins.sort_values(["client_key", "submitted_at"], kind="stable")
    cell, ok = locate(checkins)
    if len(cell):
        order = np.argsort(cell[ok], kind="stable")
        flat = cell[ok][order]
        rows = np.flatnonzero(ok)[order]
    else:
        flat = rows = np.zeros(0, np.int64)

    def col(name: str) -> np.ndarray:
        return _num(checkins, name)[rows] if len(rows) else np.zeros(0)

    count = np.bincount(flat, minlength=size).astype(np.int16)
    signals = {s: _last_per_cell(flat, col(s), size).reshape(n, t) for s in SIGNALS}
    used_raw = col("used_since_last")
    used = _any_per_cell(flat, used_raw == 1, size).reshape(n, t)
    denied = _any_per_cell(flat, used_raw == 0, size).reshape(n, t) & ~used
    support_raw = col("support_contact")
    yes = _any_per_cell(flat, support_raw == 1, size)
    answered = _any_per_cell(flat, ~np.isnan(support_raw), size)
    support = np.where(yes, 1.0, np.where(answered, 0.0, np.nan)).reshape(n, t)
    triggers = {
        c: _any_per_cell(flat, col(f"trigger_{c}") == 1, size).reshape(n, t) for c in TRIGGERS
    }
    trigger_count = sum(v.astype(np.int16) for v in triggers.values())

    scell, sok = locate(screens)
    result = (
        screens["result"].astype(object).fillna("").str.lower().to_numpy()
        if not screens.empty
        else np.zeros(0, object)
    )
    is_pos = sok & (result == "positive")
    positive = _any_per_cell(scell, is_pos, size).reshape(n, t)
    screened = _any_per_cell(scell, sok, size).reshape(n, t)
    # Names go into reason texts built without JSON escaping: letters, digits, spaces only.
    substance_text = (
        screens["substance"]
        .astype(object)
        .fillna("")
        .astype(str)
        .str.lower()
        .str.replace(r"[^a-z0-9 ]+", " ", regex=True)
        .str.strip()
        .to_numpy(dtype=object)
        if not screens.empty and "substance" in screens
        else np.full(len(scell), "", dtype=object)
    )
    substances = tuple(sorted(set(substance_text[is_pos]))) if is_pos.any() else ()
    pos_substance = np.full(size, np.nan)
    if substances:
        codes = np.searchsorted(np.array(substances, dtype=object), substance_text[is_pos])
        pos_substance[scell[is_pos]] = codes
    pos_substance = pos_substance.reshape(n, t)
    kind = np.zeros(size, dtype=np.int8)
    for code, name in enumerate(IRREGULAR_SCREENS, start=1):
        kind[_any_per_cell(scell, sok & (result == name), size)] = code
    kind = kind.reshape(n, t)
    irregular = kind > 0
    pos = np.maximum.accumulate(np.where(irregular, np.arange(t)[None, :], -1), axis=1)
    kind_last = np.where(pos >= 0, np.take_along_axis(kind, np.maximum(pos, 0), axis=1), 0)

    received = count.reshape(n, t) > 0
    offset = days[None, :] - admission[:, None]
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    sched = schedule[:, None]
    expected = enrolled & (
        (sched == 0)
        | ((sched == 1) & (weekday[None, :] < 5))
        | ((sched == 2) & (np.mod(offset, 7) == 6))
    )
    nan_seed = np.full(n, np.nan)
    since_checkin = days_since(
        received, _seed(seeds, keys, "days_since_checkin", nan_seed), begin_idx
    )
    # A weekly check-in may come on any day of its week; daily and weekday ones on the day.
    in_week = since_checkin <= 6
    met = expected & np.where(sched == 2, in_week, received)
    # The day still in progress (a morning load): a check-in not yet sent is pending, not
    # missed, and counts neither for the streak nor against adherence until the day is over.
    pending = expected & ~met & (days[None, :] == (open_day if open_day is not None else -1))
    missed = expected & ~met & ~pending

    # Missed streak: expected check-ins missed in a row; any check-in resets it.
    reset = received | met
    inc = np.cumsum(missed, axis=1, dtype=np.int32)
    at_reset = np.maximum.accumulate(np.where(reset, inc, -1), axis=1)
    seed_streak = _seed(seeds, keys, "missed_streak", np.zeros(n))
    streak = np.where(at_reset >= 0, inc - at_reset, inc + seed_streak[:, None])

    exp_f, met_f = (expected & ~pending).astype(np.float64), met.astype(np.float64)
    adherence = {}
    for w in (7, 28):
        e = rolling_sum(exp_f, w)
        adherence[w] = np.where(e > 0, rolling_sum(met_f, w) / np.maximum(e, 1), np.nan)

    # Without a stored row to continue from, "days since support" counts from the first day
    # on the grid: admission, or the day the program's data begins.
    since_admission = np.full(n, -1.0)
    use_event = used | positive
    return ClientDays(
        client_keys=keys,
        start=start,
        n_days=t,
        admission=admission,
        discharge=discharge,
        schedule=schedule,
        first=first_arr,
        enrolled=enrolled,
        checkin_count=count.reshape(n, t),
        received=received,
        expected=expected,
        missed=missed,
        pending=pending,
        missed_streak=streak.astype(np.float64),
        adherence_7d=adherence[7],
        adherence_28d=adherence[28],
        signals=signals,
        used_reported=used,
        denied_use=denied,
        screened=screened,
        screen_positive=positive,
        positive_substance=pos_substance,
        substances=substances,
        screen_irregular=irregular,
        triggers=triggers,
        trigger_count=trigger_count,
        support_contact=support,
        days_since_checkin=since_checkin,
        days_since_support=days_since(
            support == 1, _seed(seeds, keys, "days_since_support", since_admission), begin_idx
        ),
        days_since_use=days_since(
            use_event, _seed(seeds, keys, "days_since_use", nan_seed), begin_idx
        ),
        days_since_selfreport=days_since(used, nan_seed),
        days_since_positive=days_since(positive, nan_seed),
        days_since_irregular=days_since(irregular, nan_seed),
        irregular_kind_last=kind_last.astype(np.float64),
    )

"""The fit's table: one row per scored client-day of a program, the rules' term units as
columns, the lapse label and what the evaluation groups by.

The rows are made by the engine itself (``build_client_days`` and ``evaluate_rules`` on the
same chunks a full rescore uses), so a feature is exactly what a rule multiplies by its points
and the score of any configuration can be recomputed from the table without the database
(``score_from_terms``). Labels follow ``evaluate-risk``: a lapse (reported use or positive
screen) in the next ``horizon`` enrolled days, known only when the horizon lies within the
data and holds at least one check-in or screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from etl.models import DimClient
from etl.risk import bulk
from etl.risk.client_day import build_client_days, to_date, to_day
from etl.risk.config import RiskConfig
from etl.risk.rules import combine, evaluate_rules, term_value
from etl.risk.score import _chunks, _plan


class FitDataError(ValueError):
    """The program cannot be fitted as asked (unknown, no scored days)."""


@dataclass
class FitData:
    """Columns of the fit table; ``terms[(section, key)]`` is a unit per row (float32 where
    that holds it exactly, as counts do; float64 for averages)."""

    terms: dict[tuple[str, str], np.ndarray]
    client_key: np.ndarray
    day: np.ndarray  # day number
    counselor_key: np.ndarray
    label: np.ndarray  # lapse in the horizon
    eligible: np.ndarray  # the label is known
    score: np.ndarray  # the engine's score under the configuration read with
    craving_today: np.ndarray
    days_since_checkin: np.ndarray
    days_since_use: np.ndarray
    sex: np.ndarray
    age: np.ndarray
    as_of: int

    def __len__(self) -> int:
        return len(self.day)

    def take(self, rows: np.ndarray) -> FitData:
        """The rows ``rows`` (a mask or indices) of every column."""
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "terms":
                value = {k: v[rows] for k, v in value.items()}
            elif isinstance(value, np.ndarray):
                value = value[rows]
            out[name] = value
        return FitData(**out)

    def frame(self) -> pd.DataFrame:
        """What ``evaluate.precision_at_k`` reads: client, counselor and date per row."""
        return pd.DataFrame(
            {
                "client_key": self.client_key,
                "counselor_key": self.counselor_key,
                "date": self.day.astype("datetime64[D]"),
            }
        )


def score_from_terms(data: FitData, cfg: RiskConfig) -> np.ndarray:
    """The score the engine gives under ``cfg``: each rule's points from its terms, capped and
    rounded as the engine does, summed and capped at 100."""
    total = np.zeros(len(data))
    sections = dict.fromkeys(s for s, _ in data.terms)
    for section in sections:
        rule = getattr(cfg, section)
        if not rule.enabled:
            continue
        terms = {k: u for (s, k), u in data.terms.items() if s == section}
        weights = {k: term_value(rule, k) for k in terms}
        cap = getattr(rule, "max_points", None)
        total += np.round(combine(terms, weights, cap), 1)
    return np.round(np.minimum(total, 100.0), 1)


def _future(values: np.ndarray, horizon: int) -> np.ndarray:
    """Per cell, the sum of ``values`` over the next ``horizon`` days of the grid."""
    n, t = values.shape
    csum = np.zeros((n, t + 1))
    np.cumsum(values, axis=1, out=csum[:, 1:])
    idx = np.arange(t)
    return csum[:, np.minimum(idx + 1 + horizon, t)] - csum[:, idx + 1]


def _compact(unit: np.ndarray) -> np.ndarray:
    """float32 when that loses nothing (counts, steps), else float64: a rounded-off average
    would round some points the other way than the engine does, and the score recomputed
    from the terms must be the engine's to the tenth."""
    small = unit.astype(np.float32)
    return small if np.array_equal(small, unit, equal_nan=True) else unit.astype(np.float64)


def _ffill(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Last non-NaN value along the day axis (0 before any), only over ``mask`` cells."""
    t = values.shape[1]
    ok = ~np.isnan(values) & mask
    pos = np.maximum.accumulate(np.where(ok, np.arange(t)[None, :], -1), axis=1)
    got = np.take_along_axis(np.nan_to_num(values), np.maximum(pos, 0), axis=1)
    return np.where(pos >= 0, got, 0.0)


def load_fit_data(
    engine: Engine,
    program_id: str,
    cfg: RiskConfig,
    *,
    horizon: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> FitData:
    """Every enrolled client-day of ``program_id`` from ``start`` to ``end`` (default: the
    newest data day), computed chunk by chunk as a full rescore would."""
    reader = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with reader as read:
        clients = bulk.read_clients(read)
        clients = clients[clients["program_id"] == program_id]
        if clients.empty:
            raise FitDataError(f"program {program_id!r} has no clients in the warehouse")
        as_of = end or bulk.latest_data_date(read)
        if as_of is None:
            raise FitDataError(f"program {program_id!r} has no check-ins or screens")
        demo = _demographics(read, clients["client_key"].tolist())
        targets = _plan(read, clients, None, as_of, {program_id: cfg})
        by_key = clients.set_index("client_key")
        lo = to_day(start) if start else -(10**9)
        parts: list[dict[str, np.ndarray]] = []
        for chunk in _chunks(targets):
            keys = [t.client_key for t in chunk]
            first, last = min(t.start for t in chunk), max(t.last for t in chunk)
            checkins = bulk.read_checkins(read, keys, to_date(first), to_date(last))
            screens = bulk.read_screens(read, keys, to_date(first), to_date(last))
            days = build_client_days(
                by_key.loc[keys].reset_index(),
                checkins,
                screens,
                first,
                last,
                data_start={t.client_key: t.start for t in chunk},
            )
            rules, _ = evaluate_rules(days, cfg)
            parts.append(_rows(days, rules, horizon, to_day(as_of), lo, by_key, demo))
    if not parts:
        raise FitDataError(f"program {program_id!r} has no scored client-days")
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    terms = {k: cols.pop(k) for k in list(cols) if isinstance(k, tuple)}
    return FitData(terms=terms, as_of=to_day(as_of), **cols)


def _demographics(conn, keys: list[int]) -> pd.DataFrame:
    stmt = select(DimClient.client_key, DimClient.sex, DimClient.birth_year).where(
        DimClient.client_key.in_(keys)
    )
    rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["client_key", "sex", "birth_year"]).set_index("client_key")


def _rows(days, rules, horizon, as_of, lo, by_key, demo) -> dict:
    n, t = days.enrolled.shape
    enrolled = days.enrolled
    grid_day = days.days[None, :]
    keep = enrolled & (grid_day >= lo) & (grid_day <= as_of)
    lapse = (days.used_reported | days.screen_positive) & enrolled
    seen = (days.received | days.screened) & enrolled
    label = _future(lapse.astype(np.float64), horizon) > 0
    observed = _future(seen.astype(np.float64), horizon) > 0
    eligible = observed & (grid_day + horizon <= as_of)
    score = np.zeros((n, t))
    out: dict = {}
    for rule in rules:
        score += rule.points
        for key, unit in rule.terms.items():
            out[(rule.code, key)] = _compact(np.broadcast_to(unit, (n, t))[keep])
    ci = np.nonzero(keep)[0]
    keys = days.client_keys[ci]
    birth = demo["birth_year"].reindex(keys).to_numpy(dtype=np.float64)
    year = days.days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    out.update(
        client_key=keys,
        day=np.broadcast_to(grid_day, (n, t))[keep].astype(np.int64),
        counselor_key=by_key["counselor_key"]
        .reindex(keys)
        .to_numpy(dtype=np.float64, na_value=np.nan),
        label=label[keep],
        eligible=eligible[keep],
        score=np.round(np.minimum(score, 100.0), 1)[keep],
        craving_today=_ffill(days.signals["craving"], enrolled)[keep],
        days_since_checkin=np.nan_to_num(days.days_since_checkin, nan=999)[keep],
        days_since_use=np.nan_to_num(days.days_since_use, nan=9999)[keep],
        sex=demo["sex"].reindex(keys).fillna("unknown").astype(str).to_numpy(dtype=object),
        age=np.broadcast_to(year[None, :], (n, t))[keep] - birth,
    )
    return out

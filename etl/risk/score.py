"""Refreshing ``fct_client_day`` and ``fct_risk_score`` after a load: what to recompute, in
chunks, in one transaction, and the Outcomes marts (``etl.marts``) after them.

Incremental by default: a load hands over a ChangeSet (client -> earliest touched day); those
clients are recomputed from that day on, with enough earlier days read to refill the rolling
windows (the configuration's lookback) and the stored row of the day before to carry streaks
and "days since" forward. Every active client also gets the days between the last scored day
and ``as_of`` even when nothing arrived for them: silence is a missed check-in, and a client
who stops checking in must rise in the ranking, not drop out of it. ``changes=None`` rebuilds
everything. Either way the whole refresh commits at once, so readers never see half of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from etl import marts
from etl.changes import ChangeSet
from etl.risk import bulk
from etl.risk.client_day import day_numbers, to_date, to_day
from etl.risk.compute import Computed, compute
from etl.risk.config import RiskConfig, load_config
from etl.risk.rules import RULE_VERSION

log = logging.getLogger(__name__)
CELLS_PER_CHUNK = 40_000  # grid cells per chunk: 250,000 peaked at 1.5 GiB on 3 M client-days,
# 25,000 at 0.3 GiB (and computed faster: the arrays of a chunk stay in cache)


@dataclass
class RefreshStats:
    mode: str
    as_of: dt.date | None
    clients: int = 0
    rows: int = 0
    chunks: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def add_time(self, name: str, seconds: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + seconds


@dataclass
class _Target:
    client_key: int
    program_id: str
    first: int  # first day to write
    start: int  # first day read (first - lookback, not before admission)
    begin: int  # first day the client is scored at all (admission or the program's data start)
    last: int  # last day to write (as_of, or discharge if earlier)


def refresh(
    engine: Engine,
    changes: ChangeSet | None,
    as_of: dt.date | None = None,
    *,
    config_dir=None,
    now: dt.datetime | None = None,
) -> RefreshStats:
    """Recompute derived client-days and risk scores; None for ``changes`` means everything.

    ``as_of`` is the last day scored (default: the newest check-in or screen date, so a load
    that has not yet brought today's check-ins does not count today as missed for everyone).
    A day not yet over in a program's time zone (``now``, default the clock) keeps its
    expected check-ins pending; the next refresh settles it.
    Inputs are read on one connection and results written on another, in one transaction; on
    PostgreSQL a writer thread streams chunk k while chunk k+1 is computed.
    """
    started = time.perf_counter()
    mode = "full" if changes is None else "incremental"
    now = now or dt.datetime.now(dt.UTC)
    computed_at = now.astimezone(dt.UTC).replace(tzinfo=None)
    # Reads in autocommit: they hold no locks that the writer's DDL could wait for.
    reader = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with ExitStack() as background, reader as read, engine.begin() as write:
        if as_of is None:
            as_of = bulk.latest_data_date(read) or computed_at.date()
        stats = RefreshStats(mode=mode, as_of=as_of)
        clients = bulk.read_clients(read)
        configs = {pid: load_config(pid, config_dir) for pid in clients["program_id"].unique()}
        open_days = _open_days(clients, now)
        targets = _plan(read, clients, changes, as_of, configs)
        stats.clients = len(targets)
        writer = _Writer(write, stats, computed_at)
        tally = marts.Tally(clients) if changes is None else None
        if tally is not None:  # a full rebuild: the marts are counted along the way
            tally.start(engine)
            background.callback(tally.close)
        by_key = clients.set_index("client_key")
        with ExitStack() as reload:
            t0 = time.perf_counter()
            if changes is None:
                reload.enter_context(bulk.full_reload(write))
            elif targets:
                bulk.clear_from(write, {t.client_key: to_date(t.first) for t in targets})
                bulk.clear_outside_enrolment(write, _roster_suspects(clients, changes))
            stats.add_time("delete", time.perf_counter() - t0)
            try:
                for chunk in _chunks(targets):
                    cfg = configs[chunk[0].program_id]
                    open_day = open_days.get(chunk[0].program_id)
                    result = _compute_chunk(read, chunk, by_key, cfg, open_day, stats)
                    if tally is not None:
                        t0 = time.perf_counter()
                        tally.add(result.day, result.score)
                        stats.add_time("marts", time.perf_counter() - t0)
                    writer.submit(result, cfg)
                writer.finish()
            finally:
                writer.close()
            t0 = time.perf_counter()
        stats.add_time("index", time.perf_counter() - t0)  # rebuilt when the reload closes
        t0 = time.perf_counter()
        since = None if changes is None else _mart_days(read, clients, targets, changes)
        marts.refresh(write, since, tally)
        stats.add_time("marts", time.perf_counter() - t0)
    stats.seconds = time.perf_counter() - started
    log.info(
        "risk refresh %s: %d clients, %d rows in %.1f s",
        mode,
        stats.clients,
        stats.rows,
        stats.seconds,
    )
    return stats


class _Writer:
    """Writes computed chunks; on PostgreSQL in a background thread (COPY waits on the server,
    which then works on the other core while the next chunk is computed)."""

    def __init__(self, conn, stats: RefreshStats, computed_at: dt.datetime):
        self.conn, self.stats, self.computed_at = conn, stats, computed_at
        self.pool = ThreadPoolExecutor(max_workers=1) if bulk.is_pg(conn) else None
        self.pending: Future | None = None

    def _write(self, result: Computed, cfg: RiskConfig) -> None:
        t0 = time.perf_counter()
        bulk.write(self.conn, result, RULE_VERSION, cfg.config_hash, self.computed_at)
        self.stats.add_time("write", time.perf_counter() - t0)
        self.stats.rows += len(result)
        self.stats.chunks += 1

    def submit(self, result: Computed, cfg: RiskConfig) -> None:
        if self.pool is None:
            self._write(result, cfg)
            return
        self.finish()  # at most one chunk in flight: bounded memory
        self.pending = self.pool.submit(self._write, result, cfg)

    def finish(self) -> None:
        if self.pending is not None:
            t0 = time.perf_counter()
            self.pending.result()
            self.stats.add_time("write_wait", time.perf_counter() - t0)
            self.pending = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _mart_days(
    read, clients: pd.DataFrame, targets: list[_Target], changes: ChangeSet
) -> dict[int, dt.date]:
    """Per program, the first day whose Outcomes mart rows may have changed: the first
    rewritten client-day of its clients, or an earlier touched check-in or screen. A roster
    change may have moved a client between programs or counselors, or cut rows before its
    touched day (admission moved later, discharge backdated): for those clients every
    program is rebuilt from their earliest stored client-day (``read`` still sees the rows
    the refresh's own transaction deletes)."""
    program_of = dict(zip(clients["client_key"], clients["program_key"], strict=True))
    out: dict[int, dt.date] = {}

    def touch(program, day: dt.date) -> None:
        if program is not None and (program not in out or day < out[program]):
            out[int(program)] = day

    for t in targets:
        touch(program_of.get(t.client_key), to_date(t.first))
    for key, day in changes.client_dates.items():
        touch(program_of.get(key), day)
    moved = _roster_suspects(clients, changes)
    if moved:
        earliest = min(changes.client_dates[k] for k in moved)
        stored = bulk.first_stored_date(read, moved)
        if stored is not None:
            earliest = min(earliest, stored)
        for program in set(program_of.values()):
            touch(program, earliest)
    return out


def _open_days(clients: pd.DataFrame, now: dt.datetime) -> dict[str, int]:
    """Per program, today's day number in its time zone: the day that is not over yet."""
    out = {}
    for pid, zone in clients.groupby("program_id")["time_zone"].first().items():
        try:
            local = now.astimezone(ZoneInfo(str(zone))).date()
        except (ZoneInfoNotFoundError, ValueError):
            local = now.astimezone(dt.UTC).date()
        out[pid] = to_day(local)
    return out


def _roster_suspects(clients: pd.DataFrame, changes: ChangeSet) -> list[int]:
    """Touched clients that may have rows outside their enrolment after ``clear_from``: those
    touched on or before their admission (admission moved later) and those discharged before
    the touched day (discharge moved earlier). A new day of check-ins touches neither."""
    if not changes.client_dates:
        return []
    touched = pd.Series(
        [to_day(d) for d in changes.client_dates.values()],
        index=list(changes.client_dates),
        dtype=np.float64,
    )
    frame = clients.set_index("client_key")
    frame = frame.loc[frame.index.intersection(touched.index)]
    when = touched.reindex(frame.index).to_numpy()
    admission = day_numbers(frame["admission_date"])
    discharge = day_numbers(frame["discharge_date"])
    suspect = (when <= admission) | (discharge < when)
    return [int(k) for k in frame.index[suspect]]


def _plan(
    conn,
    clients: pd.DataFrame,
    changes: ChangeSet | None,
    as_of: dt.date,
    configs: dict[str, RiskConfig],
) -> list[_Target]:
    end = to_day(as_of)
    go_live = {k: to_day(d) for k, d in bulk.program_first_days(conn).items()}
    # Scoring starts at admission, or at the program's first data day if that is later.
    admission = np.maximum(
        day_numbers(clients["admission_date"]),
        clients["program_key"].map(go_live).to_numpy(dtype=np.float64, na_value=np.nan),
    )
    admission = np.where(np.isnan(admission), day_numbers(clients["admission_date"]), admission)
    discharge = day_numbers(clients["discharge_date"])
    keys = clients["client_key"].to_numpy(dtype=np.int64)
    pids = clients["program_id"].to_numpy(dtype=object)
    wanted: dict[int, int] = {}
    if changes is None:
        wanted = {int(k): int(a) for k, a in zip(keys, admission, strict=True)}
    else:
        for key, day in changes.client_dates.items():
            wanted[int(key)] = to_day(day)
        last = bulk.last_scored_date(conn)
        if last is not None:
            # Everyone enrolled gets the new days, data or not, and the last scored day again:
            # it may have been scored while still in progress (pending check-ins).
            frontier = to_day(last)
            active = (admission <= end) & ~(discharge < frontier)
            for k in keys[active]:
                wanted[int(k)] = min(wanted.get(int(k), frontier), frontier)
        for k in bulk.clients_without_rows(conn):
            wanted[k] = min(wanted.get(k, 10**9), -(10**6))  # from admission
    targets = []
    index = {int(k): i for i, k in enumerate(keys)}
    for key, day in wanted.items():
        i = index.get(key)
        if i is None:
            continue
        first = max(day, int(admission[i]))
        last_day = end if np.isnan(discharge[i]) else min(end, int(discharge[i]))
        if first > last_day:
            continue
        lookback = configs[pids[i]].lookback_days
        start = max(first - lookback, int(admission[i]))
        targets.append(_Target(key, pids[i], first, start, int(admission[i]), last_day))
    return targets


def _chunks(targets: list[_Target]):
    """Groups of clients of one program with similar enrolment, within the cell budget.

    A chunk's grid runs from its earliest start to its latest last day, so clients are
    sorted by start and a chunk is closed when the grid would exceed the budget."""
    targets = sorted(targets, key=lambda t: (t.program_id, t.start, t.last, t.client_key))
    chunk: list[_Target] = []
    lo = hi = 0
    for t in targets:
        if chunk:
            new_lo, new_hi = min(lo, t.start), max(hi, t.last)
            if (
                t.program_id != chunk[0].program_id
                or (len(chunk) + 1) * (new_hi - new_lo + 1) > CELLS_PER_CHUNK
            ):
                yield chunk
                chunk = []
        if not chunk:
            lo, hi = t.start, t.last
        chunk.append(t)
        lo, hi = min(lo, t.start), max(hi, t.last)
    if chunk:
        yield chunk


def _compute_chunk(
    read,
    chunk: list[_Target],
    by_key: pd.DataFrame,
    cfg: RiskConfig,
    open_day: int | None,
    stats: RefreshStats,
) -> Computed:
    keys = [t.client_key for t in chunk]
    start = min(t.start for t in chunk)
    last = max(t.last for t in chunk)
    t0 = time.perf_counter()
    checkins = bulk.read_checkins(read, keys, to_date(start), to_date(last))
    screens = bulk.read_screens(read, keys, to_date(start), to_date(last))
    # Streaks and "days since" continue from the stored day before, unless scoring of the
    # client starts here anyway (full recompute, new client): then there is nothing before.
    seed_days = {t.client_key: to_date(t.start - 1) for t in chunk if t.start > t.begin}
    seeds = bulk.read_seeds(read, seed_days) if seed_days else None
    bam = None
    if cfg.bam.enabled:
        since = to_date(start - cfg.bam.max_age_days)
        bam = bulk.read_bam(read, keys, since, to_date(last))
    stats.add_time("read", time.perf_counter() - t0)

    t0 = time.perf_counter()
    clients = by_key.loc[keys].reset_index()
    result = compute(
        clients,
        checkins,
        screens,
        start,
        last,
        cfg,
        first={t.client_key: t.first for t in chunk},
        data_start={t.client_key: t.start for t in chunk},
        seeds=seeds,
        open_day=open_day,
        bam=bam,
    )
    stats.add_time("compute", time.perf_counter() - t0)
    return result

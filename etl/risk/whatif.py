"""Scores the engine would give under another configuration, computed without writing.

``caseload evaluate-risk --bam`` compares the ranking with the BAM rule off and on on the
same client-days and labels; that needs both sets of scores whatever the stored ones were
made with. The same planning, chunking and computation as ``refresh`` (a full recompute),
with the results kept in memory instead of written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from etl.risk import bulk
from etl.risk.config import RiskConfig, load_config
from etl.risk.score import RefreshStats, _chunks, _compute_chunk, _open_days, _plan


def rescored(
    engine: Engine,
    configure: Callable[[RiskConfig], RiskConfig],
    *,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """client_key, date (datetime64) and score of every scorable client-day, each program's
    configuration passed through ``configure`` first."""
    now = now or dt.datetime.now(dt.UTC)
    parts = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as read:
        as_of = as_of or bulk.last_scored_date(read) or bulk.latest_data_date(read)
        if as_of is None:
            return pd.DataFrame({"client_key": [], "date": [], "score": []})
        clients = bulk.read_clients(read)
        configs = {pid: configure(load_config(pid)) for pid in clients["program_id"].unique()}
        open_days = _open_days(clients, now)
        stats = RefreshStats(mode="what-if", as_of=as_of)
        by_key = clients.set_index("client_key")
        for chunk in _chunks(_plan(read, clients, None, as_of, configs)):
            pid = chunk[0].program_id
            result = _compute_chunk(read, chunk, by_key, configs[pid], open_days.get(pid), stats)
            parts.append(
                pd.DataFrame(
                    {
                        "client_key": result.score["client_key"],
                        "date": pd.to_datetime(result.score["date"], unit="D"),
                        "score": result.score["score"],
                    }
                )
            )
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"client_key": [], "date": [], "score": []})
    )


def with_bam(enabled: bool) -> Callable[[RiskConfig], RiskConfig]:
    def configure(cfg: RiskConfig) -> RiskConfig:
        return cfg.model_copy(update={"bam": cfg.bam.model_copy(update={"enabled": enabled})})

    return configure

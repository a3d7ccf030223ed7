"""The freshness header's newest scored day, per program: the program's own newest score,
however far the other programs' scores run ahead, and none for a program never scored (the
read walks the date index from the newest day down, so these are the cases it could miss)."""

from __future__ import annotations

import datetime as dt

from factories import Warehouse
from sqlalchemy import insert

from dashboard.read.freshness import freshness
from etl.models import FctRiskScore

DAY = dt.date(2026, 11, 26)


def _scores(engine, client_key: int, last: dt.date, days: int) -> None:
    rows = [
        dict(
            client_key=client_key,
            date=last - dt.timedelta(days=d),
            score=10.0,
            tier="low",
            reasons=[],
            rule_version="t",
            config_hash="t",
            computed_at=dt.datetime(2026, 11, 27, 6),
        )
        for d in range(days)
    ]
    with engine.begin() as conn:
        conn.execute(insert(FctRiskScore), rows)


def test_each_program_gets_its_own_newest_scored_day(engine):
    w = Warehouse(engine)
    current, stopped, never = w.program("P-NOW"), w.program("P-OLD"), w.program("P-NONE")
    for _ in range(3):
        _scores(engine, w.client(current, DAY - dt.timedelta(days=90)), DAY, 40)
    _scores(engine, w.client(stopped, DAY - dt.timedelta(days=90)), DAY - dt.timedelta(days=21), 5)
    w.client(never, DAY - dt.timedelta(days=10))
    with engine.connect() as conn:
        rows = freshness(conn, None, now=dt.datetime(2026, 11, 27, 7))
        only_old = freshness(conn, [stopped], now=dt.datetime(2026, 11, 27, 7))
    newest = {r.program_key: r.newest_scored_day for r in rows}
    assert newest == {current: DAY, stopped: DAY - dt.timedelta(days=21), never: None}
    assert [(r.program_key, r.newest_scored_day) for r in only_old] == [
        (stopped, DAY - dt.timedelta(days=21))
    ]

"""The Outcomes marts (``mart_outcomes_day``, ``mart_screen_day``, ``mart_outcomes_reach``),
rebuilt from the facts for the programs and days a risk refresh touched.

The Outcomes page sums a period's days; read from the facts that is every client-day and
check-in of a year per figure, seconds on a large program. The marts hold the same sums per
program, counselor (the client's current one) and day, so a period reads a few hundred rows.
``refresh`` runs inside the risk refresh's transaction, on its connection, after the facts are
written: the marts are exactly as new as the scores, and readers see both change at once.

Incremental: ``since`` maps a program to the first day to rebuild; that program's rows from
that day on are deleted and summed again from the facts. ``None`` rebuilds everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    case,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased

from etl.models import (
    DimClient,
    FctCheckin,
    FctClientDay,
    FctDrugScreen,
    FctRiskScore,
    MartOutcomesDay,
    MartOutcomesReach,
    MartScreenDay,
)
from etl.vocabulary import TIERS

MARTS = (MartOutcomesDay, MartScreenDay, MartOutcomesReach)
DAY_SUMS = (
    "expected",
    "met",
    "answered_days",
    "abstinent_days",
    *(f"scored_{t}" for t in TIERS),
    "newly_high",
)


def met(day=FctClientDay, client=DimClient):
    """A met expected check-in, as ``fct_client_day`` counts it: the day's own check-in, or
    for a weekly schedule one within its week."""
    return and_(
        day.is_expected,
        ~day.is_missed,
        or_(
            day.is_received, and_(client.checkin_schedule == "weekly", day.days_since_checkin <= 6)
        ),
    )


def settled(day=FctClientDay, client=DimClient):
    """An expected check-in that is no longer pending: missed, or met."""
    return and_(day.is_expected, or_(day.is_missed, met(day, client)))


def refresh(conn: Connection, since: dict[int, dt.date] | None) -> int:
    """Rebuild the marts (everything when ``since`` is None, or when they are still empty:
    a warehouse just upgraded to them); returns the rows written."""
    if since is not None and conn.execute(select(MartOutcomesDay.row_key).limit(1)).first() is None:
        since = None
    if since is None:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(m.__tablename__ for m in MARTS)}"))
        else:
            for mart in MARTS:
                conn.execute(delete(mart))
        return _fill(conn, None, None)
    by_day: dict[dt.date, list[int]] = {}
    for program, day in since.items():
        by_day.setdefault(day, []).append(int(program))
    rows = 0
    for day, programs in sorted(by_day.items()):
        for mart in MARTS:
            conn.execute(delete(mart).where(mart.program_key.in_(programs), mart.date >= day))
        rows += _fill(conn, programs, day)
    return rows


def _fill(conn: Connection, programs: list[int] | None, first: dt.date | None) -> int:
    rows = 0
    for mart, stmt in (
        (MartOutcomesDay, _day_rows(programs, first)),
        (MartScreenDay, _screen_rows(programs, first)),
        (MartOutcomesReach, _reach_rows(programs, first)),
    ):
        cols = [c.name for c in stmt.selected_columns]
        result = conn.execute(insert(mart).from_select(cols, stmt))
        rows += max(result.rowcount or 0, 0)
    return rows


def _where(programs: Iterable[int] | None, first: dt.date | None, date_col) -> list:
    cond = []
    if programs is not None:
        cond.append(DimClient.program_key.in_(list(programs)))
    if first is not None:
        cond.append(date_col >= first)
    return cond


def _zero(name: str):
    return literal_column("0", Integer).label(name)


def _day_rows(programs, first):
    """One row per program, counselor and day: sums from client-days, check-ins and scores."""
    keys = (DimClient.program_key, DimClient.counselor_key)

    def part(date_col, sums: dict, source, *where):
        cols = [func.sum(sums[n]).label(n) if n in sums else _zero(n) for n in DAY_SUMS]
        return (
            select(*keys, date_col.label("date"), *cols)
            .select_from(source)
            .join(DimClient, DimClient.client_key == source.c.client_key)
            .where(*where, *_where(programs, first, date_col))
            .group_by(*keys, date_col)
        )

    one = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    days = part(
        FctClientDay.date,
        {"expected": one(settled()), "met": one(met())},
        FctClientDay.__table__,
    )
    used = func.max(one(FctCheckin.used_since_last)).label("used")
    since = [] if first is None else [FctCheckin.local_date >= first]
    per_day = (
        select(FctCheckin.client_key, FctCheckin.local_date.label("date"), used)
        .where(FctCheckin.used_since_last.is_not(None), *since)
        .group_by(FctCheckin.client_key, FctCheckin.local_date)
        .subquery()
    )
    answers = part(
        per_day.c.date,
        {"answered_days": literal_column("1", Integer), "abstinent_days": 1 - per_day.c.used},
        per_day,
    )
    tiers = {f"scored_{t}": one(FctRiskScore.tier == t) for t in TIERS}
    scores = part(
        FctRiskScore.date,
        {**tiers, "newly_high": one(FctRiskScore.is_newly_high)},
        FctRiskScore.__table__,
    )
    parts = union_all(days, answers, scores).subquery()
    return select(
        parts.c.program_key,
        parts.c.counselor_key,
        parts.c.date,
        *(func.sum(parts.c[n]).label(n) for n in DAY_SUMS),
    ).group_by(parts.c.program_key, parts.c.counselor_key, parts.c.date)


def _screen_rows(programs, first):
    s = FctDrugScreen
    return (
        select(
            DimClient.program_key,
            DimClient.counselor_key,
            s.local_date.label("date"),
            s.substance,
            s.result,
            func.count().label("screens"),
        )
        .join(DimClient, DimClient.client_key == s.client_key)
        .where(*_where(programs, first, s.local_date))
        .group_by(
            DimClient.program_key, DimClient.counselor_key, s.local_date, s.substance, s.result
        )
    )


def _reach_rows(programs, first):
    """Each client's days with a measure, chained to the client's previous such day, counted
    per program, counselor, measure, substance, day and previous day."""
    keys = (DimClient.program_key, DimClient.counselor_key)

    def events(measure: str, substance, date_col, source, *where):
        return (
            select(
                source.c.client_key,
                *keys,
                literal_column(f"'{measure}'", String).label("measure"),
                substance.label("substance"),
                date_col.label("date"),
            )
            .distinct()
            .join(DimClient, DimClient.client_key == source.c.client_key)
            .where(*where, *_where(programs, first, date_col))
        )

    blank = literal_column("''", String)
    screens = FctDrugScreen.__table__
    ev = union_all(
        events("adherence", blank, FctClientDay.date, FctClientDay.__table__, settled()),
        events(
            "abstinence",
            blank,
            FctCheckin.local_date,
            FctCheckin.__table__,
            FctCheckin.used_since_last.is_not(None),
        ),
        events("screen", blank, FctDrugScreen.local_date, screens),
        events("screen", FctDrugScreen.substance, FctDrugScreen.local_date, screens),
    ).subquery()
    prev = func.lag(ev.c.date).over(
        partition_by=(ev.c.client_key, ev.c.measure, ev.c.substance), order_by=ev.c.date
    )
    lagged = select(ev, prev.label("prev_date")).subquery()
    prev_date = lagged.c.prev_date
    if first is not None:
        prev_date = func.coalesce(prev_date, _day_before(lagged, first))
    return select(
        lagged.c.program_key,
        lagged.c.counselor_key,
        lagged.c.measure,
        lagged.c.substance,
        lagged.c.date,
        prev_date.label("prev_date"),
        func.count().label("clients"),
    ).group_by(
        lagged.c.program_key,
        lagged.c.counselor_key,
        lagged.c.measure,
        lagged.c.substance,
        lagged.c.date,
        prev_date,
    )


def _day_before(lagged, first: dt.date):
    """The client's last day with the measure before ``first`` (an incremental rebuild starts
    there; the chain continues from the day before it). One index lookup per client."""
    day, client = aliased(FctClientDay), aliased(DimClient)
    adherence = (
        select(day.date)
        .join(client, client.client_key == day.client_key)
        .where(day.client_key == lagged.c.client_key, day.date < first, settled(day, client))
        .order_by(day.date.desc())
        .limit(1)
        .scalar_subquery()
    )
    ch = aliased(FctCheckin)
    abstinence = (
        select(ch.local_date)
        .where(
            ch.client_key == lagged.c.client_key,
            ch.local_date < first,
            ch.used_since_last.is_not(None),
        )
        .order_by(ch.local_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    sc = aliased(FctDrugScreen)

    def screen(*where):
        return (
            select(sc.local_date)
            .where(sc.client_key == lagged.c.client_key, sc.local_date < first, *where)
            .order_by(sc.local_date.desc())
            .limit(1)
            .scalar_subquery()
        )

    return case(
        (lagged.c.measure == "adherence", adherence),
        (lagged.c.measure == "abstinence", abstinence),
        (lagged.c.substance == "", screen()),
        else_=screen(sc.substance == lagged.c.substance),
    )

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
SIGNAL_SUMS = ("sleep_hours_sum", "sleep_answers", "stress_sum", "stress_answers")


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


def refresh(conn: Connection, since: dict[int, dt.date] | None) -> None:
    """Rebuild the marts (everything when ``since`` is None, or when they are still empty:
    a warehouse just upgraded to them)."""
    if since is not None and conn.execute(select(MartOutcomesDay.row_key).limit(1)).first() is None:
        since = None
    if conn.dialect.name == "postgresql":
        # A few large sorts and one window over the facts: in memory, and not worth JIT
        # compiling (measured: half a second of every rebuild went to compiling).
        conn.execute(text("SET LOCAL work_mem = '128MB'"))
        conn.execute(text("SET LOCAL jit = off"))
    if since is None:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(m.__tablename__ for m in MARTS)}"))
        else:
            for mart in MARTS:
                conn.execute(delete(mart))
        _fill(conn, None, None)
        return
    by_day: dict[dt.date, list[int]] = {}
    for program, day in since.items():
        by_day.setdefault(day, []).append(int(program))
    for day, programs in sorted(by_day.items()):
        for mart in MARTS:
            conn.execute(delete(mart).where(mart.program_key.in_(programs), mart.date >= day))
        _fill(conn, programs, day)


def _fill(conn: Connection, programs: list[int] | None, first: dt.date | None) -> None:
    for mart, stmt in (
        (MartOutcomesDay, _day_rows(programs, first)),
        (MartScreenDay, _screen_rows(programs, first)),
        (MartOutcomesReach, _reach_rows(programs, first)),
    ):
        cols = [c.name for c in stmt.selected_columns]
        conn.execute(insert(mart).from_select(cols, stmt))


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
        cols = [
            func.sum(sums[n]).label(n) if n in sums else _zero(n) for n in DAY_SUMS + SIGNAL_SUMS
        ]
        return (
            select(*keys, date_col.label("date"), *cols)
            .select_from(source)
            .join(DimClient, DimClient.client_key == source.c.client_key)
            .where(*where, *_where(programs, first, date_col))
            .group_by(*keys, date_col)
        )

    one = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    d = FctClientDay
    days = part(
        d.date,
        {
            "expected": one(settled()),
            "met": one(met()),
            "sleep_hours_sum": func.coalesce(d.sleep_hours, 0.0),
            "sleep_answers": one(d.sleep_hours.is_not(None)),
            "stress_sum": func.coalesce(d.stress, 0.0),
            "stress_answers": one(d.stress.is_not(None)),
        },
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
        *(func.sum(parts.c[n]).label(n) for n in DAY_SUMS + SIGNAL_SUMS),
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
    per program, counselor, measure, substance, day and previous day. Each source is chained
    on its own (its index already orders a client's days), then the four are summed."""
    day, checkin, screen = FctClientDay, FctCheckin, FctDrugScreen
    blank = literal_column("''", String)
    sources = (
        ("adherence", blank, day.client_key, day.date, day, [settled()], False),
        (
            "abstinence",
            blank,
            checkin.client_key,
            checkin.local_date,
            checkin,
            [checkin.used_since_last.is_not(None)],
            True,
        ),
        ("screen", blank, screen.client_key, screen.local_date, screen, [], True),
        ("screen", screen.substance, screen.client_key, screen.local_date, screen, [], True),
    )
    parts = []
    for measure, substance, client_col, date_col, model, where, repeats in sources:
        days = (
            select(
                client_col.label("client_key"),
                DimClient.program_key,
                DimClient.counselor_key,
                substance.label("substance"),
                date_col.label("date"),
            )
            .join(DimClient, DimClient.client_key == client_col)
            .where(*where, *_where(programs, first, date_col))
        )
        per_substance = substance is not blank
        if repeats:  # several check-ins or screens on one day are one day
            days = days.group_by(
                client_col,
                DimClient.program_key,
                DimClient.counselor_key,
                date_col,
                *([substance] if per_substance else []),
            )
        days = days.subquery()
        chained = func.lag(days.c.date).over(
            partition_by=(days.c.client_key, *([days.c.substance] if per_substance else [])),
            order_by=days.c.date,
        )
        if first is not None:
            chained = func.coalesce(
                chained, _day_before(model, client_col, date_col, days, first, per_substance)
            )
        parts.append(
            select(
                days.c.program_key,
                days.c.counselor_key,
                literal_column(f"'{measure}'", String).label("measure"),
                days.c.substance,
                days.c.date,
                chained.label("prev_date"),
            )
        )
    ev = union_all(*parts).subquery()
    cols = (ev.c.program_key, ev.c.counselor_key, ev.c.measure, ev.c.substance, ev.c.date)
    return select(*cols, ev.c.prev_date, func.count().label("clients")).group_by(
        *cols, ev.c.prev_date
    )


def _day_before(model, client_col, date_col, days, first: dt.date, per_substance: bool):
    """The client's last day with the measure before ``first``, where an incremental rebuild
    starts (its chain continues from there): one backward index lookup per client."""
    inner = aliased(model)
    inner_where = [
        getattr(inner, client_col.key) == days.c.client_key,
        getattr(inner, date_col.key) < first,
    ]
    if model is FctClientDay:
        client = aliased(DimClient)
        inner_date = inner.date
        stmt = select(inner_date).join(client, client.client_key == inner.client_key)
        inner_where.append(settled(inner, client))
    else:
        inner_date = getattr(inner, date_col.key)
        stmt = select(inner_date)
        if model is FctCheckin:
            inner_where.append(inner.used_since_last.is_not(None))
        elif per_substance:
            inner_where.append(inner.substance == days.c.substance)
    return stmt.where(*inner_where).order_by(inner_date.desc()).limit(1).scalar_subquery()

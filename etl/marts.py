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
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
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
TALLY_ROWS = 200_000  # a full rebuild's counts are summed into one frame past this many rows
DAY_SUMS = (
    "expected",
    "met",
    "answered_days",
    "abstinent_days",
    *(f"scored_{t}" for t in TIERS),
    "newly_high",
)
SIGNAL_SUMS = ("sleep_hours_sum", "sleep_answers", "stress_sum", "stress_answers")
FLOAT_SUMS = ("sleep_hours_sum", "stress_sum")


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


class Tally:
    """A full rebuild of the marts, counted while a full risk refresh writes the facts.

    A full rescore holds every client's whole history in memory, chunk by chunk, just before
    writing it; counting there what the marts sum from ``fct_client_day`` and
    ``fct_risk_score`` (settled and met check-ins, tiers, newly high, the adherence chain)
    spares reading millions of rows back. What comes from check-ins and screens, which the
    refresh does not change, is summed in SQL on a connection of its own in a background
    thread (``start``) while the chunks compute. Exact only when each client's rows all come
    in one ``add``."""

    def __init__(self, clients: pd.DataFrame) -> None:
        frame = clients.set_index("client_key")
        self._program = frame["program_key"]
        self._counselor = frame["counselor_key"].astype("float64")
        self._weekly = frame["checkin_schedule"] == "weekly"
        self._days: list[pd.DataFrame] = []
        self._chains: list[pd.DataFrame] = []
        self._pool: ThreadPoolExecutor | None = None
        self._facts: Future | None = None

    def start(self, engine: Engine) -> None:
        """Sum the check-ins and screens in the background, on a connection of its own."""
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._facts = self._pool.submit(_fact_sums, engine)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def add(self, day: dict[str, np.ndarray], score: dict[str, np.ndarray]) -> None:
        keys = np.asarray(day["client_key"], dtype=np.int64)
        if not len(keys):
            return
        expected = np.asarray(day["is_expected"], dtype=bool)
        missed = np.asarray(day["is_missed"], dtype=bool)
        weekly = self._weekly.reindex(keys).to_numpy(dtype=bool, na_value=False)
        within = np.nan_to_num(np.asarray(day["days_since_checkin"], np.float64), nan=99) <= 6
        met = expected & ~missed & (np.asarray(day["is_received"], dtype=bool) | (weekly & within))
        settled = expected & (missed | met)
        tier = np.asarray(score["tier_index"])
        frame = pd.DataFrame(
            {
                "program_key": self._program.reindex(keys).to_numpy(),
                "counselor_key": self._counselor.reindex(keys).to_numpy(),
                "date": np.asarray(day["date"], dtype=np.int64),
                "expected": settled.astype(np.int64),
                "met": met.astype(np.int64),
                **{f"scored_{t}": (tier == i).astype(np.int64) for i, t in enumerate(TIERS)},
                "newly_high": np.asarray(score["is_newly_high"], dtype=bool).astype(np.int64),
                **_signal_sums(day),
            }
        )
        by = ["program_key", "counselor_key", "date"]
        summed = frame.groupby(by, dropna=False, sort=False).sum().reset_index()
        self._days = _keep_small([*self._days, summed], by)
        chain = frame.loc[settled, by].copy()
        client = keys[settled]
        prev = np.r_[-1, chain["date"].to_numpy()[:-1]].astype(np.float64)
        prev[np.r_[True, client[1:] != client[:-1]]] = np.nan
        chain["prev_date"] = prev
        counted = chain.groupby([*by, "prev_date"], dropna=False, sort=False).size()
        self._chains = _keep_small(
            [*self._chains, counted.rename("clients").reset_index()], [*by, "prev_date"]
        )

    def fill(self, conn: Connection) -> None:
        """Insert the whole marts (emptied by the caller) from the counts and the sums."""
        if self._facts is None:
            self._facts = Future()
            self._facts.set_result(_fact_sums(conn))
        answers, screens, reach = self._facts.result()
        by = ["program_key", "counselor_key", "date"]
        days = _concat_sum([*self._days, answers], by)
        chains = _concat_sum(self._chains, [*by, "prev_date"])
        chains["measure"] = "adherence"
        chains["substance"] = ""
        _insert(conn, MartOutcomesDay, days)
        _insert(conn, MartScreenDay, screens)
        _insert(conn, MartOutcomesReach, pd.concat([reach, chains], ignore_index=True))


def _signal_sums(day: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``SIGNAL_SUMS`` of each client-day: its answered hours and stress, and whether answered."""
    out = {}
    for signal, total, answers in (
        ("sleep_hours", "sleep_hours_sum", "sleep_answers"),
        ("stress", "stress_sum", "stress_answers"),
    ):
        values = np.asarray(day[signal], dtype=np.float64)
        out[total] = np.nan_to_num(values, nan=0.0)
        out[answers] = (~np.isnan(values)).astype(np.int64)
    return out


def _fact_sums(source: Engine | Connection) -> tuple[pd.DataFrame, ...]:
    """The marts' rows that come from check-ins and screens alone, dates as day numbers."""
    with ExitStack() as stack:
        conn = source if isinstance(source, Connection) else stack.enter_context(source.connect())
        out = []
        for stmt in (
            _day_rows(None, None, parts=("answers",)),
            _screen_rows(None, None),
            _reach_rows(None, None, skip=("adherence",)),
        ):
            result = conn.execute(stmt)
            names = list(result.keys())
            parts = []
            for rows in result.partitions(50_000):  # rows as Python objects: a few at a time
                part = pd.DataFrame(rows, columns=names)
                for name in ("date", "prev_date"):
                    if name in part:
                        part[name] = _day_numbers(part[name])
                parts.append(part)
            empty = pd.DataFrame(columns=names)
            out.append(pd.concat(parts, ignore_index=True) if parts else empty)
        return tuple(out)


def _keep_small(parts: list[pd.DataFrame], by: list[str]) -> list[pd.DataFrame]:
    """Sum the parts into one once they hold many rows: a chunk's clients rarely share a
    counselor and day, so its counts barely shrink, and 3 million client-days of them kept
    apart were 0.4 GB."""
    if sum(len(p) for p in parts) < TALLY_ROWS:
        return parts
    return [_concat_sum(parts, by)]


def _concat_sum(parts: list[pd.DataFrame], by: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=by)
    return pd.concat(parts).groupby(by, dropna=False, sort=False).sum().reset_index()


def refresh(conn: Connection, since: dict[int, dt.date] | None, tally: Tally | None = None) -> None:
    """Rebuild the marts (everything when ``since`` is None, or when they are still empty:
    a warehouse just upgraded to them). ``tally``: a full rebuild's client-day and score sums,
    counted while the refresh wrote them (``since`` must then be None)."""
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
        if tally is None:
            _fill(conn, None, None)
        else:
            tally.fill(conn)
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


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Dates as read back (``date`` objects, or ISO text on SQLite; None) to day numbers."""
    out = pd.to_datetime(values, errors="coerce").to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(out), np.nan, out.astype(np.int64).astype(np.float64))


def _insert(conn: Connection, mart, frame: pd.DataFrame) -> None:
    """Rows of ``frame`` into ``mart`` (COPY on PostgreSQL, one executemany on SQLite)."""
    for lo in range(0, len(frame), 50_000):  # rows as Python objects: a few at a time
        _insert_part(conn, mart, frame.iloc[lo : lo + 50_000])


def _insert_part(conn: Connection, mart, frame: pd.DataFrame) -> None:
    pg = conn.dialect.name == "postgresql"
    cols: list[list] = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        if name in ("date", "prev_date"):
            known = ~pd.isna(values)
            days = np.where(known, values, 0).astype(np.int64).astype("datetime64[D]").tolist()
            days = days if pg else [d.isoformat() for d in days]
            cols.append([d if k else None for d, k in zip(days, known, strict=True)])
        elif name == "counselor_key":
            cols.append([None if pd.isna(v) else int(v) for v in values])
        elif name in FLOAT_SUMS:
            cols.append(values.astype(np.float64).tolist())
        elif values.dtype.kind in "iuf":
            cols.append(values.astype(np.int64).tolist())
        else:
            cols.append(values.tolist())
    names = ", ".join(frame.columns)
    raw = conn.connection.driver_connection
    if pg:
        with raw.cursor() as cur, cur.copy(f"COPY {mart.__tablename__} ({names}) FROM STDIN") as cp:
            for row in zip(*cols, strict=True):
                cp.write_row(row)
    else:
        marks = ", ".join("?" for _ in frame.columns)
        raw.executemany(
            f"INSERT INTO {mart.__tablename__} ({names}) VALUES ({marks})", zip(*cols, strict=True)
        )


def _where(programs: Iterable[int] | None, first: dt.date | None, date_col) -> list:
    cond = []
    if programs is not None:
        cond.append(DimClient.program_key.in_(list(programs)))
    if first is not None:
        cond.append(date_col >= first)
    return cond


def _zero(name: str):
    return literal_column("0", Integer).label(name)


def _day_rows(programs, first, parts=("days", "answers", "scores")):
    """One row per program, counselor and day: sums from client-days, check-ins and scores
    (``parts``: which of the three)."""
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
    chosen = [{"days": days, "answers": answers, "scores": scores}[p] for p in parts]
    union = (union_all(*chosen) if len(chosen) > 1 else chosen[0]).subquery()
    return select(
        union.c.program_key,
        union.c.counselor_key,
        union.c.date,
        *(func.sum(union.c[n]).label(n) for n in DAY_SUMS + SIGNAL_SUMS),
    ).group_by(union.c.program_key, union.c.counselor_key, union.c.date)


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


def _reach_rows(programs, first, skip=()):
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
        if measure in skip:
            continue
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

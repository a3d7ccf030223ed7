"""Reading the risk engine's inputs and writing its two tables, fast on both databases.

PostgreSQL: check-ins come out with ``COPY ... TO STDOUT (FORMAT BINARY)`` (NULLs coalesced to
sentinels so every row has one fixed layout numpy can parse in place) and the derived rows go
in with binary ``COPY FROM``. SQLite: plain ``SELECT`` and one ``executemany`` per table inside
the caller's transaction (NaN binds as NULL there, so float columns need no conversion).
Everything else is SQLAlchemy Core.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, delete, func, select, text
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropIndex,
    DropTable,
)

from etl.models import (
    DimClient,
    DimProgram,
    FctBam,
    FctCheckin,
    FctClientDay,
    FctDrugScreen,
    FctRiskScore,
)
from etl.risk import pgcopy
from etl.risk.client_day import to_date
from etl.risk.compute import DAY_COLUMNS, SCORE_COLUMNS, Computed
from etl.vocabulary import SIGNALS, TRIGGERS

_INT_SIGNALS = ("craving", "stress", "mood", "sleep_quality")
# fct_client_day columns and their PostgreSQL kinds; nullable ones get a NULL mask from NaN.
DAY_KINDS: dict[str, str] = {
    "client_key": "int4",
    "date": "date",
    "is_expected": "bool",
    "is_received": "bool",
    "checkin_count": "int2",
    **{s: "float8" for s in SIGNALS},
    "used_reported": "bool",
    "screen_positive": "bool",
    "trigger_count": "int2",
    "support_contact": "bool",
    "missed_streak": "int2",
    "adherence_7d": "float8",
    "adherence_28d": "float8",
    "is_missed": "bool",
    "days_since_checkin": "int2",
    "days_since_support": "int2",
    "days_since_use": "int2",
    "cue_days_7d": "int2",
    **{f"{s}_{p}": "float8" for s in SIGNALS for p in ("baseline", "sd", "trend")},
}
SCORE_KINDS: dict[str, str] = {
    "client_key": "int4",
    "date": "date",
    "score": "float8",
    "tier": "text",
    "score_change": "float8",
    "is_newly_high": "bool",
    "rule_version": "text",
    "config_hash": "text",
    "computed_at": "timestamp",
    "reasons": "text",
}
assert tuple(DAY_KINDS) == DAY_COLUMNS and tuple(SCORE_KINDS) == SCORE_COLUMNS


def is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


# --------------------------------------------------------------------------- reading


def read_clients(conn: Connection) -> pd.DataFrame:
    """Every client with what scoring needs: enrolment, schedule, program and counselor."""
    stmt = select(
        DimClient.client_key,
        DimClient.program_key,
        DimProgram.program_id,
        DimClient.counselor_key,
        DimClient.admission_date,
        DimClient.discharge_date,
        DimClient.checkin_schedule,
        DimProgram.time_zone,
    ).join(DimProgram, DimProgram.program_key == DimClient.program_key)
    rows = conn.execute(stmt).all()
    cols = [
        "client_key",
        "program_key",
        "program_id",
        "counselor_key",
        "admission_date",
        "discharge_date",
        "checkin_schedule",
        "time_zone",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    for c in ("admission_date", "discharge_date"):
        frame[c] = frame[c].astype(object)
    return frame


def latest_data_date(conn: Connection) -> dt.date | None:
    """The newest local date of any check-in or screen: the default day to score through."""
    found = [
        conn.execute(select(func.max(FctCheckin.local_date))).scalar(),
        conn.execute(select(func.max(FctDrugScreen.local_date))).scalar(),
    ]
    found = [_as_date(d) for d in found if d is not None]
    return max(found) if found else None


def program_first_days(conn: Connection) -> dict[int, dt.date]:
    """Per program, the first day any of its clients has a check-in or screen: the day the
    program's data begins. Clients admitted earlier are scored from then on, not from their
    admission, so a program's first load does not invent months of missed check-ins."""
    out: dict[int, dt.date] = {}
    for fact in (FctCheckin, FctDrugScreen):
        first = (
            select(func.min(fact.local_date))
            .where(fact.client_key == DimClient.client_key)
            .scalar_subquery()
        )
        stmt = select(DimClient.program_key, func.min(first)).group_by(DimClient.program_key)
        for key, day in conn.execute(stmt).all():
            if day is not None:
                day = _as_date(day)
                out[key] = min(out.get(key, day), day)
    return out


def last_scored_date(conn: Connection) -> dt.date | None:
    value = conn.execute(select(func.max(FctClientDay.date))).scalar()
    return _as_date(value) if value is not None else None


def first_stored_date(conn: Connection, client_keys: Sequence[int]) -> dt.date | None:
    """The earliest client-day stored for any of these clients (``None``: none)."""
    first = None
    for part in _batches(list(client_keys), 20000):
        day = conn.execute(
            select(func.min(FctClientDay.date)).where(FctClientDay.client_key.in_(part))
        ).scalar()
        if day is not None and (first is None or _as_date(day) < first):
            first = _as_date(day)
    return first


def clients_without_rows(conn: Connection) -> set[int]:
    has_rows = select(FctClientDay.client_key).where(
        FctClientDay.client_key == DimClient.client_key
    )
    stmt = select(DimClient.client_key).where(~has_rows.exists())
    return {int(k) for k in conn.execute(stmt).scalars()}


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _key_list(keys: Sequence[int]) -> str:
    return ",".join(str(int(k)) for k in keys)


_PG_CHECKIN_SQL = """
COPY (
  SELECT client_key,
         (local_date - DATE '1970-01-01')::int4,
         COALESCE(craving, -1)::int4, COALESCE(stress, -1)::int4, COALESCE(mood, -1)::int4,
         COALESCE(sleep_hours, 'NaN'::float8), COALESCE(sleep_quality, -1)::int4,
         COALESCE(used_since_last::int4, -1), COALESCE(support_contact::int4, -1),
         (trigger_people::int4 + 2 * trigger_places::int4 + 4 * trigger_music::int4
          + 8 * trigger_routines::int4 + 16 * trigger_emotions::int4
          + 32 * trigger_other::int4)::int4
  FROM fct_checkin
  WHERE client_key = ANY('{{{keys}}}'::int4[])
    AND local_date BETWEEN DATE '{lo}' AND DATE '{hi}'
  ORDER BY client_key, local_date, submitted_at
) TO STDOUT (FORMAT BINARY)
"""
_CHECKIN_KINDS = [
    ("client_key", "int4"),
    ("day", "int4"),
    ("craving", "int4"),
    ("stress", "int4"),
    ("mood", "int4"),
    ("sleep_hours", "float8"),
    ("sleep_quality", "int4"),
    ("used_since_last", "int4"),
    ("support_contact", "int4"),
    ("triggers", "int4"),
]


def read_checkins(
    conn: Connection, client_keys: Sequence[int], first: dt.date, last: dt.date
) -> pd.DataFrame:
    """Check-ins of ``client_keys`` with local dates in [first, last], ordered by client, day
    and submission time, as numbers: ``day`` is days since 1970-01-01, NaN for no answer."""
    if not len(client_keys):
        return _checkin_frame({k: np.zeros(0) for k, _ in _CHECKIN_KINDS})
    if is_pg(conn):
        sql = _PG_CHECKIN_SQL.format(keys=_key_list(client_keys), lo=first, hi=last)
        raw = conn.connection.driver_connection
        buf = bytearray()
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for block in copy:
                buf += block
        if not buf:
            return _checkin_frame({k: np.zeros(0) for k, _ in _CHECKIN_KINDS})
        arr = pgcopy.decode_fixed(bytes(buf), _CHECKIN_KINDS)
        cols = {k: arr[k].astype(np.float64) for k, _ in _CHECKIN_KINDS}
    else:
        cols = _read_checkins_sqlite(conn, client_keys, first, last)
    for name in (*_INT_SIGNALS, "used_since_last", "support_contact"):
        cols[name] = np.where(cols[name] < 0, np.nan, cols[name])
    return _checkin_frame(cols)


def _read_checkins_sqlite(conn, client_keys, first, last) -> dict[str, np.ndarray]:
    sql = (
        "SELECT client_key, CAST(julianday(local_date) - 2440587.5 AS INTEGER), "
        "COALESCE(craving, -1), COALESCE(stress, -1), COALESCE(mood, -1), "
        "sleep_hours, COALESCE(sleep_quality, -1), COALESCE(used_since_last, -1), "
        "COALESCE(support_contact, -1), trigger_people + 2 * trigger_places + "
        "4 * trigger_music + 8 * trigger_routines + 16 * trigger_emotions + 32 * trigger_other "
        "FROM fct_checkin WHERE client_key IN ({keys}) AND local_date BETWEEN ? AND ? "
        "ORDER BY client_key, local_date, submitted_at"
    )
    raw = conn.connection.driver_connection
    rows: list = []
    for part in _batches(list(client_keys), 20000):
        cur = raw.execute(sql.format(keys=_key_list(part)), (first.isoformat(), last.isoformat()))
        rows.extend(cur.fetchall())
    arr = np.array(rows, dtype=np.float64).reshape(-1, len(_CHECKIN_KINDS))
    return {k: arr[:, j] for j, (k, _) in enumerate(_CHECKIN_KINDS)}


def _checkin_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = {k: v for k, v in cols.items() if k != "triggers"}
    mask = cols["triggers"].astype(np.int64)
    for bit, name in enumerate(TRIGGERS):
        frame[f"trigger_{name}"] = ((mask >> bit) & 1).astype(np.float64)
    frame["client_key"] = cols["client_key"].astype(np.int64)
    return pd.DataFrame(frame)


def read_screens(
    conn: Connection, client_keys: Sequence[int], first: dt.date, last: dt.date
) -> pd.DataFrame:
    out = []
    for part in _batches(list(client_keys), 20000):
        stmt = (
            select(
                FctDrugScreen.client_key,
                FctDrugScreen.local_date,
                FctDrugScreen.result,
                FctDrugScreen.substance,
            )
            .where(
                FctDrugScreen.client_key.in_(part),
                FctDrugScreen.local_date.between(first, last),
            )
            .order_by(FctDrugScreen.client_key, FctDrugScreen.local_date)
        )
        out.extend(conn.execute(stmt).all())
    frame = pd.DataFrame(out, columns=["client_key", "local_date", "result", "substance"])
    frame["local_date"] = frame["local_date"].astype(object)
    return frame


def read_bam(
    conn: Connection, client_keys: Sequence[int], first: dt.date, last: dt.date
) -> pd.DataFrame:
    """BAM forms' Risk and Protective scores, for the BAM rule (off unless configured)."""
    out = []
    for part in _batches(list(client_keys), 20000):
        stmt = (
            select(FctBam.client_key, FctBam.local_date, FctBam.risk_score, FctBam.protective_score)
            .where(FctBam.client_key.in_(part), FctBam.local_date.between(first, last))
            .order_by(FctBam.client_key, FctBam.local_date, FctBam.completed_at)
        )
        out.extend(conn.execute(stmt).all())
    frame = pd.DataFrame(
        out, columns=["client_key", "local_date", "risk_score", "protective_score"]
    )
    frame["local_date"] = frame["local_date"].astype(object)
    return frame


def read_seeds(conn: Connection, wanted: dict[int, dt.date]) -> pd.DataFrame:
    """The stored client-day row on each client's given day (the day before a recompute)."""
    cols = [
        "client_key",
        "missed_streak",
        "days_since_checkin",
        "days_since_support",
        "days_since_use",
    ]
    by_day: dict[dt.date, list[int]] = {}
    for key, day in wanted.items():
        by_day.setdefault(day, []).append(key)
    rows: list = []
    for day, keys in by_day.items():
        for part in _batches(keys, 20000):
            stmt = select(*(getattr(FctClientDay, c) for c in cols)).where(
                FctClientDay.date == day, FctClientDay.client_key.in_(part)
            )
            rows.extend(conn.execute(stmt).all())
    return pd.DataFrame(rows, columns=cols)


def _batches(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- writing


DERIVED = (FctRiskScore.__table__, FctClientDay.__table__)


@contextmanager
def full_reload(conn: Connection) -> Iterator[None]:
    """Empty both derived tables for a full recompute, with their indexes (and, on
    PostgreSQL, primary keys) set aside while the rows stream in and rebuilt once at the
    end: building an index from sorted data is several times faster than maintaining it row
    by row. All inside the caller's transaction; foreign keys stay checked."""
    pg = is_pg(conn)
    restore: list[str] = []
    if not pg:
        restore = _tune_sqlite_reload(conn)
    if pg:
        conn.execute(text("TRUNCATE fct_risk_score, fct_client_day"))
        for table in DERIVED:
            for index in table.indexes:
                conn.execute(DropIndex(index))
            # isolate_from_table=False: by default SQLAlchemy marks the constraint so that
            # every later create_all() in this process builds the table without it.
            conn.execute(DropConstraint(table.primary_key, isolate_from_table=False))
    else:
        # SQLite deletes row by row from any table with a foreign key (its truncate
        # optimisation is off then): 3 million rows took a third of a full rescore. Dropping a
        # table that only references others frees its pages at once (without zeroing them:
        # see _tune_sqlite_reload), so the two tables are dropped and created again, empty
        # and without their secondary indexes.
        for table in DERIVED:
            conn.execute(DropTable(table))
        for table in reversed(DERIVED):
            conn.execute(CreateTable(table))
    try:
        yield
        _rebuild_indexes(conn, pg)
    finally:
        for pragma in restore:
            conn.execute(text(pragma))


def _rebuild_indexes(conn: Connection, pg: bool) -> None:
    if not pg:
        # Statistics from a sample: the planner only needs to know the date index is
        # selective, and a full ANALYZE reads every row of both tables again.
        conn.execute(text("PRAGMA analysis_limit = 1000"))
        conn.execute(text("PRAGMA threads = 2"))  # CREATE INDEX sorts on a second core
    for table in DERIVED:
        if pg:
            # isolate_from_table=False: SQLAlchemy 2.1 would otherwise drop the key from the
            # table's CREATE TABLE for the rest of the process (a later create_all lacks it).
            conn.execute(AddConstraint(table.primary_key, isolate_from_table=False))
        for index in table.indexes:
            conn.execute(CreateIndex(index))
        # Fresh statistics, so that the next incremental delete by date uses the date index
        # instead of scanning millions of rows.
        conn.execute(text(f"ANALYZE {table.name}"))


_SECURE_DELETE = {0: "OFF", 1: "ON", 2: "FAST"}


def _tune_sqlite_reload(conn: Connection) -> list[str]:
    """``secure_delete`` FAST for a full reload on SQLite, and the statement that puts it back.

    Debian's and most distributions' SQLite is built with secure delete on, which writes
    zeros over every freed page, so dropping 3 million stored rows wrote gigabytes of zeros
    through the WAL (30 to 60 s of a full rescore). FAST still scrubs deleted content inside
    the pages that are written anyway; the freed pages keep their old scores only until the
    new rows, which are as many, are written into them in the same transaction."""
    old = conn.execute(text("PRAGMA secure_delete")).scalar()
    conn.execute(text("PRAGMA secure_delete = FAST"))
    return [f"PRAGMA secure_delete = {_SECURE_DELETE.get(int(old), 'ON')}"]


def clear_from(conn: Connection, first: dict[int, dt.date]) -> None:
    """Delete each client's derived rows from its first recomputed day on."""
    by_day: dict[dt.date, list[int]] = {}
    for key, day in first.items():
        by_day.setdefault(day, []).append(key)
    for day, keys in by_day.items():
        for part in _batches(keys, 20000):
            for table in (FctRiskScore, FctClientDay):
                conn.execute(delete(table).where(table.client_key.in_(part), table.date >= day))


def clear_outside_enrolment(conn: Connection, client_keys: Sequence[int]) -> None:
    """Delete rows before admission or after discharge (a corrected roster moved them).

    PostgreSQL: one index range scan per client (``unnest`` of keys and dates); SQLite, the
    small laptop warehouse: a correlated subquery over those clients' rows."""
    if not len(client_keys):
        return
    if is_pg(conn):
        rows = conn.execute(
            select(DimClient.client_key, DimClient.admission_date, DimClient.discharge_date).where(
                DimClient.client_key.in_(list(client_keys))
            )
        ).all()
        keys = [r[0] for r in rows]
        adm = [r[1] for r in rows]
        dis = [r[2] or dt.date(9999, 12, 31) for r in rows]
        for table in ("fct_risk_score", "fct_client_day"):
            for op, dates in (("<", adm), (">", dis)):
                conn.execute(
                    text(
                        f"DELETE FROM {table} t USING unnest(CAST(:k AS int4[]), "
                        f"CAST(:d AS date[])) AS v(k, d) "
                        f"WHERE t.client_key = v.k AND t.date {op} v.d"
                    ),
                    {"k": keys, "d": dates},
                )
        return
    for part in _batches(list(client_keys), 20000):
        for table in (FctRiskScore, FctClientDay):
            adm = (
                select(DimClient.admission_date)
                .where(DimClient.client_key == table.client_key)
                .scalar_subquery()
            )
            dis = (
                select(DimClient.discharge_date)
                .where(DimClient.client_key == table.client_key)
                .scalar_subquery()
            )
            conn.execute(
                delete(table).where(
                    table.client_key.in_(part),
                    (table.date < adm) | and_(dis.is_not(None), table.date > dis),
                )
            )


def write(
    conn: Connection,
    result: Computed,
    rule_version: str,
    config_hash: str,
    computed_at: dt.datetime,
) -> None:
    """Insert one computed chunk into fct_client_day and fct_risk_score."""
    if not len(result):
        return
    n = len(result)
    score = dict(result.score)
    score["rule_version"] = np.full(n, rule_version, dtype=object)
    score["config_hash"] = np.full(n, config_hash, dtype=object)
    if is_pg(conn):
        score["computed_at"] = np.full(n, pgcopy.timestamp_micros(computed_at), dtype=np.int64)
        _copy(conn, "fct_client_day", DAY_KINDS, result.day)
        _copy(conn, "fct_risk_score", SCORE_KINDS, score)
    else:
        score["computed_at"] = np.full(n, computed_at.strftime("%Y-%m-%d %H:%M:%S.%f"), object)
        _insert_sqlite(conn, "fct_client_day", DAY_KINDS, result.day)
        _insert_sqlite(conn, "fct_risk_score", SCORE_KINDS, score)


def _copy(conn: Connection, table: str, kinds: dict[str, str], data: dict) -> None:
    columns = []
    for name, kind in kinds.items():
        values = np.asarray(data[name])
        null = np.isnan(values) if values.dtype.kind == "f" else None
        if null is not None and not null.any():
            null = None
        if null is not None:
            values = np.where(null, 0, values)
        if kind in ("int2", "bool") and values.dtype.kind in "fb":
            values = np.clip(values, -32768, 32767).astype(np.int64)
        columns.append(pgcopy.Column(kind, values, null))
    # Nullable columns must declare a mask even when this chunk has no NULL, so layouts match.
    raw = conn.connection.driver_connection
    names = ", ".join(kinds)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as cp:
        cp.write(pgcopy.HEADER)
        for block in pgcopy.binary_rows(columns):
            cp.write(block)
        cp.write(pgcopy.TRAILER)


SQLITE_BATCH = 20_000  # rows turned into Python values at a time: 40 columns of a whole
# chunk as lists of Python objects were most of a full rescore's peak memory


def _insert_sqlite(conn: Connection, table: str, kinds: dict[str, str], data: dict) -> None:
    arrays = []
    for name, kind in kinds.items():
        values = np.asarray(data[name])
        if kind == "date":
            lo = int(values.min())
            table_ = np.array(
                [to_date(d).isoformat() for d in range(lo, int(values.max()) + 1)], dtype=object
            )
            values = table_[values.astype(np.int64) - lo]
        elif kind == "bool" and values.dtype.kind == "b":
            values = values.astype(np.int8)
        arrays.append(values)  # floats: NaN binds as NULL in SQLite
    placeholders = ", ".join("?" for _ in kinds)
    sql = f"INSERT INTO {table} ({', '.join(kinds)}) VALUES ({placeholders})"
    raw = conn.connection.driver_connection
    for lo in range(0, len(arrays[0]), SQLITE_BATCH):
        part = [a[lo : lo + SQLITE_BATCH].tolist() for a in arrays]
        raw.executemany(sql, zip(*part, strict=True))

"""Filling a warehouse fast for the risk benchmark and the end-to-end risk test.

Two sources, both written straight into the tables (no validation, quarantine or history: use
``caseload ingest`` for real data):

* ``load_synth(engine, folder)``: the CSV files of ``caseload synth`` (realistic enrolment,
  the simulator's latent risk in ``truth/``); local dates are taken from the timestamps the
  way ingest does (offset or naive: the local wall clock; ``Z``: converted to the program's
  time zone).
* ``fill_dense(engine, clients, days, as_of)``: every client enrolled on every day of the
  window, with autocorrelated signals, stress episodes and lapses, the worst case for the
  number of client-days a refresh must write.

Rows go in with binary COPY on PostgreSQL and ``executemany`` on SQLite.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    SmallInteger,
    Table,
    select,
)

from etl.models import DimClient, DimProgram, DimStaff, FctCheckin, FctDrugScreen
from etl.risk import pgcopy
from etl.risk.client_day import to_date, to_day

TRIGGERS = ("people", "places", "music", "routines", "emotions", "other")
EPOCH_US = np.datetime64("1970-01-01T00:00:00", "us")
NOW = dt.datetime(2026, 1, 1)


def _kind(column) -> str:
    t = column.type
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, SmallInteger):
        return "int2"
    if isinstance(t, BigInteger):
        return "int8"
    if isinstance(t, Integer):
        return "int4"
    if isinstance(t, Float):
        return "float8"
    if isinstance(t, DateTime):
        return "timestamp"
    if isinstance(t, Date):
        return "date"
    return "text"


def bulk_insert(conn: Connection, table: Table, data: dict[str, np.ndarray]) -> int:
    """Insert columns of equal length: dates as day numbers, timestamps as datetime64[us],
    NaN or None for NULL."""
    names = list(data)
    n = len(data[names[0]])
    if n == 0:
        return 0
    kinds = {c: _kind(table.c[c]) for c in names}
    if conn.dialect.name == "postgresql":
        cols = []
        for c in names:
            vals = np.asarray(data[c])
            kind = kinds[c]
            if vals.dtype.kind == "f":
                null = np.isnan(vals)
                vals = np.where(null, 0, vals)
            elif vals.dtype == object:
                null = pd.isna(vals)
                vals = np.where(null, "", vals) if kind == "text" else np.where(null, 0, vals)
            else:
                null = None
            if kind == "timestamp":
                vals = (vals.astype("datetime64[us]") - np.datetime64("2000-01-01", "us")).astype(
                    np.int64
                )
            elif kind in ("bool", "int2", "int4", "int8"):
                vals = np.asarray(vals).astype(np.int64)
            elif kind == "float8":
                vals = np.asarray(vals).astype(np.float64)
            cols.append(
                pgcopy.Column(kind, vals, null if null is not None and null.any() else None)
            )
        raw = conn.connection.driver_connection
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cur, cur.copy(sql) as cp:
            cp.write(pgcopy.HEADER)
            for block in pgcopy.binary_rows(cols):
                cp.write(block)
            cp.write(pgcopy.TRAILER)
        return n
    lists = []
    for c in names:
        vals = np.asarray(data[c])
        kind = kinds[c]
        if kind == "date":
            lists.append(
                [
                    None if np.isnan(v) else to_date(int(v)).isoformat()
                    for v in vals.astype(np.float64)
                ]
            )
        elif kind == "timestamp":
            text = np.datetime_as_string(vals.astype("datetime64[us]"), unit="us")
            lists.append([s.replace("T", " ") for s in text.tolist()])
        elif kind == "bool" and vals.dtype.kind == "b":
            lists.append(vals.astype(np.int8).tolist())
        else:
            lists.append([None if v is None or v is pd.NA else v for v in vals.tolist()])
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    conn.connection.driver_connection.executemany(sql, zip(*lists, strict=True))
    return n


def _keys(conn: Connection, column, key) -> dict[str, int]:
    return {a: b for a, b in conn.execute(select(column, key)).all()}


# --------------------------------------------------------------------------- synth files


def _local_days(stamps: pd.Series, zones: pd.Series) -> np.ndarray:
    """Local calendar day of ISO timestamps: the written wall clock unless it is UTC (``Z``)."""
    text = stamps.astype(str)
    days = pd.to_datetime(text.str.slice(0, 10)).to_numpy().astype("datetime64[D]").astype(np.int64)
    utc = text.str.endswith("Z").to_numpy()
    if utc.any():
        parsed = pd.to_datetime(text[utc], utc=True)
        for zone in zones[utc].unique():
            sel = (zones[utc] == zone).to_numpy()
            local = parsed[sel].dt.tz_convert(zone).dt.tz_localize(None)
            days[np.flatnonzero(utc)[sel]] = (
                local.to_numpy().astype("datetime64[D]").astype(np.int64)
            )
    return days


def _utc(stamps: pd.Series, zones: pd.Series) -> np.ndarray:
    """Timestamps as naive UTC datetime64[us] (naive ones read in the program's zone)."""
    text = stamps.astype(str)
    out = np.empty(len(text), dtype="datetime64[us]")
    aware = text.str.endswith("Z") | text.str.contains(r"[+-]\d\d:\d\d$", regex=True)
    if aware.any():
        out[aware.to_numpy()] = (
            pd.to_datetime(text[aware], utc=True, format="ISO8601").dt.tz_localize(None).to_numpy()
        )
    naive = ~aware
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601")
        for zone in zones[naive].unique():
            sel = (zones[naive] == zone).to_numpy()
            loc = parsed[sel].dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            out[np.flatnonzero(naive.to_numpy())[sel]] = (
                loc.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            )
    return out


def load_synth(engine: Engine, folder: Path) -> dict[str, int]:
    """Load a ``caseload synth`` output folder into an empty warehouse."""
    folder = Path(folder)
    programs = pd.read_csv(folder / "programs.csv", dtype=str)
    staff = pd.read_csv(folder / "staff.csv", dtype=str)
    clients = pd.read_csv(folder / "clients.csv", dtype=str, keep_default_na=False)
    checkins = pd.read_csv(folder / "checkins.csv", dtype=str, keep_default_na=False)
    screens = pd.read_csv(folder / "drug_screens.csv", dtype=str, keep_default_na=False)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        n = len(programs)
        counts["programs"] = bulk_insert(
            conn,
            DimProgram.__table__,
            {
                "program_id": programs["program_id"].to_numpy(object),
                "name": programs["name"].to_numpy(object),
                "time_zone": programs["time_zone"].to_numpy(object),
                "row_hash": np.full(n, "x", object),
                "updated_at": np.full(n, np.datetime64(NOW, "us")),
            },
        )
        prog = _keys(conn, DimProgram.program_id, DimProgram.program_key)
        n = len(staff)
        counts["staff"] = bulk_insert(
            conn,
            DimStaff.__table__,
            {
                "staff_id": staff["staff_id"].to_numpy(object),
                "program_key": staff["program_id"].map(prog).to_numpy(np.int64),
                "first_name": staff["first_name"].to_numpy(object),
                "last_name": staff["last_name"].to_numpy(object),
                "email": staff["email"].to_numpy(object),
                "role": staff["role"].to_numpy(object),
                "row_hash": np.full(n, "x", object),
                "updated_at": np.full(n, np.datetime64(NOW, "us")),
            },
        )
        stf = _keys(conn, DimStaff.staff_id, DimStaff.staff_key)
        n = len(clients)
        discharge = pd.to_datetime(clients["discharge_date"].replace("", None))
        counts["clients"] = bulk_insert(
            conn,
            DimClient.__table__,
            {
                "client_id": clients["client_id"].to_numpy(object),
                "program_key": clients["program_id"].map(prog).to_numpy(np.int64),
                "counselor_key": clients["counselor_id"].map(stf).to_numpy(np.float64),
                "sex": clients["sex"].to_numpy(object),
                "birth_year": clients["date_of_birth"].str.slice(0, 4).astype(int).to_numpy(),
                "zip3": clients["zip"].str.slice(0, 3).to_numpy(object),
                "admission_date": pd.to_datetime(clients["admission_date"])
                .to_numpy()
                .astype("datetime64[D]")
                .astype(np.int64),
                "discharge_date": np.where(
                    discharge.isna(),
                    np.nan,
                    discharge.to_numpy().astype("datetime64[D]").astype(np.int64),
                ),
                "primary_substance": clients["primary_substance"].to_numpy(object),
                "checkin_schedule": clients["checkin_schedule"].to_numpy(object),
                "row_hash": np.full(n, "x", object),
                "updated_at": np.full(n, np.datetime64(NOW, "us")),
            },
        )
        cli = _keys(conn, DimClient.client_id, DimClient.client_key)
    zone_of_program = dict(zip(programs["program_id"], programs["time_zone"], strict=True))
    zone_of_client = clients.set_index("client_id")["program_id"].map(zone_of_program)
    with engine.begin() as conn:
        counts["checkins"] = _load_checkins(conn, checkins, cli, zone_of_client)
        zones = screens["client_id"].map(zone_of_client)
        n = len(screens)
        counts["screens"] = bulk_insert(
            conn,
            FctDrugScreen.__table__,
            {
                "screen_id": screens["screen_id"].to_numpy(object),
                "client_key": screens["client_id"].map(cli).to_numpy(np.int64),
                "collected_at": _utc(screens["collected_at"], zones),
                "local_date": _local_days(screens["collected_at"], zones),
                "substance": screens["substance"].to_numpy(object),
                "result": screens["result"].to_numpy(object),
                "row_hash": np.full(n, "x", object),
                "updated_at": np.full(n, np.datetime64(NOW, "us")),
            },
        )
    return counts


def _yes_no(col: pd.Series) -> np.ndarray:
    low = col.str.lower()
    return np.where(low == "yes", 1.0, np.where(low == "no", 0.0, np.nan))


def _num(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col.replace("", None), errors="coerce").to_numpy(np.float64)


def _load_checkins(conn, checkins: pd.DataFrame, cli: dict, zone_of_client) -> int:
    n = len(checkins)
    zones = checkins["client_id"].map(zone_of_client)
    triggers = checkins["triggers"].str.lower()
    data = {
        "checkin_id": checkins["checkin_id"].to_numpy(object),
        "client_key": checkins["client_id"].map(cli).to_numpy(np.int64),
        "submitted_at": _utc(checkins["submitted_at"], zones),
        "local_date": _local_days(checkins["submitted_at"], zones),
        "craving": _num(checkins["craving"]),
        "stress": _num(checkins["stress"]),
        "mood": _num(checkins["mood"]),
        "sleep_hours": _num(checkins["sleep_hours"]),
        "sleep_quality": _num(checkins["sleep_quality"]),
        "used_since_last": _yes_no(checkins["used_since_last"]),
        "triggers": triggers.replace("", None).to_numpy(object),
        "support_contact": _yes_no(checkins["support_contact"]),
        "row_hash": np.full(n, "x", object),
        "updated_at": np.full(n, np.datetime64(NOW, "us")),
    }
    for name in TRIGGERS:
        data[f"trigger_{name}"] = triggers.str.contains(name, regex=False).to_numpy(bool)
    return bulk_insert(conn, FctCheckin.__table__, data)


def read_truth(folder: Path) -> pd.DataFrame:
    """The simulator's daily truth: client_id, date, latent_risk, lapse."""
    path = Path(folder) / "truth" / "daily.csv"
    if not path.exists():
        path = path.with_suffix(".csv.gz")
    frame = pd.read_csv(path, usecols=["client_id", "date", "latent_risk", "lapse"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


# --------------------------------------------------------------------------- dense worst case


def fill_dense(
    engine: Engine, clients: int, days: int, as_of: dt.date, seed: int = 7
) -> dict[str, int]:
    """``clients`` clients enrolled on each of the ``days`` days up to ``as_of``."""
    rng = np.random.default_rng(seed)
    first = to_day(as_of) - days + 1
    with engine.begin() as conn:
        bulk_insert(
            conn,
            DimProgram.__table__,
            {
                "program_id": np.array(["B1", "B2"], object),
                "name": np.array(["Bench One", "Bench Two"], object),
                "time_zone": np.array(["America/New_York", "America/Chicago"], object),
                "row_hash": np.array(["x", "x"], object),
                "updated_at": np.full(2, np.datetime64(NOW, "us")),
            },
        )
        prog = _keys(conn, DimProgram.program_id, DimProgram.program_key)
        n_staff = max(clients // 27, 2)
        sid = np.array([f"BS{i:05d}" for i in range(n_staff)], object)
        sprog = np.where(np.arange(n_staff) % 2 == 0, prog["B1"], prog["B2"])
        bulk_insert(
            conn,
            DimStaff.__table__,
            {
                "staff_id": sid,
                "program_key": sprog,
                "first_name": np.full(n_staff, "Bench", object),
                "last_name": sid,
                "email": np.full(n_staff, None, object),
                "role": np.full(n_staff, "counselor", object),
                "row_hash": np.full(n_staff, "x", object),
                "updated_at": np.full(n_staff, np.datetime64(NOW, "us")),
            },
        )
        stf = _keys(conn, DimStaff.staff_id, DimStaff.staff_key)
        counselor = rng.integers(0, n_staff, clients)
        schedule = rng.choice(
            np.array(["daily", "weekdays", "weekly"], object), clients, p=[0.8, 0.15, 0.05]
        )
        bulk_insert(
            conn,
            DimClient.__table__,
            {
                "client_id": np.array([f"BC{i:06d}" for i in range(clients)], object),
                "program_key": sprog[counselor],
                "counselor_key": np.array([stf[s] for s in sid[counselor]]),
                "sex": rng.choice(np.array(["male", "female"], object), clients),
                "birth_year": rng.integers(1960, 2005, clients),
                "zip3": np.full(clients, "100", object),
                "admission_date": np.full(clients, first),
                "discharge_date": np.full(clients, np.nan),
                "primary_substance": np.full(clients, "cocaine", object),
                "checkin_schedule": schedule,
                "row_hash": np.full(clients, "x", object),
                "updated_at": np.full(clients, np.datetime64(NOW, "us")),
            },
        )
        keys = np.array(sorted(_keys(conn, DimClient.client_id, DimClient.client_key).values()))
    total = 0
    step = 2000
    for lo in range(0, clients, step):
        part = keys[lo : lo + step]
        rows = dense_checkins(rng, part, first, days)
        with engine.begin() as conn:
            total += bulk_insert(conn, FctCheckin.__table__, rows)
            bulk_insert(conn, FctDrugScreen.__table__, dense_screens(rng, part, first, days))
    return {"clients": clients, "checkins": total}


def dense_checkins(
    rng: np.random.Generator, keys: np.ndarray, first: int, days: int, id_prefix: str = "BK"
) -> dict[str, np.ndarray]:
    """Daily check-ins for ``keys`` over ``days`` days: AR(1) signals, stress episodes,
    occasional lapses and runs of missed days."""
    n = len(keys)
    shape = (n, days)
    ar = np.zeros(shape)
    noise = rng.standard_normal(shape)
    for t in range(1, days):
        ar[:, t] = 0.8 * ar[:, t - 1] + 0.6 * noise[:, t]
    episode = rng.random(shape) < 1 / 40
    ep = np.zeros(shape)
    for t in range(1, days):
        ep[:, t] = np.where(episode[:, t], 2.0, 0.75 * ep[:, t - 1])
    base = rng.uniform(2, 6, (n, 1))
    stress = np.clip(np.round(base + 1.2 * ar + ep), 0, 10)
    craving = np.clip(np.round(base - 1 + 1.0 * ar + 0.8 * ep + rng.normal(0, 1, shape)), 0, 10)
    mood = np.clip(np.round(7 - 0.8 * ar - 0.6 * ep + rng.normal(0, 1, shape)), 0, 10)
    sleep = np.clip(np.round(7.2 - 0.5 * ar - 0.4 * ep + rng.normal(0, 0.6, shape), 1), 2, 12)
    quality = np.clip(np.round(3.5 - 0.4 * ar + rng.normal(0, 0.7, shape)), 1, 5)
    lapse = rng.random(shape) < 0.01 * (1 + ep + np.maximum(ar, 0))
    absent = rng.random(shape) < 0.12 + 0.05 * ep
    miss_run = rng.random((n, 1)) < 0.1
    absent |= miss_run & (np.arange(days)[None, :] > days - rng.integers(2, 10, (n, 1)))
    support = rng.random(shape) < 0.6
    trig = rng.random((n, days, 6)) < np.array([0.08, 0.06, 0.03, 0.05, 0.1, 0.02])
    ci, di = np.nonzero(~absent)
    m = len(ci)
    day = first + di
    minutes = rng.integers(8 * 60, 22 * 60, m)
    stamps = day.astype("datetime64[D]").astype("datetime64[us]") + (minutes * 60_000_000).astype(
        "timedelta64[us]"
    )
    names = np.array(TRIGGERS, object)
    t = trig[ci, di]
    text = np.array([";".join(names[row]) or None for row in t], dtype=object) if m else t
    data = {
        "checkin_id": np.array(
            [f"{id_prefix}{k}-{d}" for k, d in zip(keys[ci], day, strict=True)], object
        ),
        "client_key": keys[ci],
        "submitted_at": stamps,
        "local_date": day,
        "craving": craving[ci, di],
        "stress": stress[ci, di],
        "mood": mood[ci, di],
        "sleep_hours": sleep[ci, di],
        "sleep_quality": quality[ci, di],
        "used_since_last": lapse[ci, di],
        "triggers": text,
        "support_contact": support[ci, di],
        "row_hash": np.full(m, "x", object),
        "updated_at": np.full(m, np.datetime64(NOW, "us")),
    }
    for j, name in enumerate(TRIGGERS):
        data[f"trigger_{name}"] = t[:, j]
    return data


def dense_screens(rng: np.random.Generator, keys: np.ndarray, first: int, days: int):
    """A weekly screen per client, positive now and then."""
    n = len(keys)
    weeks = days // 7
    ci = np.repeat(np.arange(n), weeks)
    day = first + 3 + 7 * np.tile(np.arange(weeks), n)
    m = len(ci)
    result = rng.choice(
        np.array(["negative", "positive", "dilute", "refused"], object),
        m,
        p=[0.9, 0.07, 0.02, 0.01],
    )
    return {
        "screen_id": np.array([f"BS{k}-{d}" for k, d in zip(keys[ci], day, strict=True)], object),
        "client_key": keys[ci],
        "collected_at": day.astype("datetime64[D]").astype("datetime64[us]"),
        "local_date": day,
        "substance": np.full(m, "cocaine", object),
        "result": result,
        "row_hash": np.full(m, "x", object),
        "updated_at": np.full(m, np.datetime64(NOW, "us")),
    }

"""The record-level frame: one row per client-day (or client-week), de-identified.

Reads only ``dim_client``, ``dim_program``, ``fct_client_day`` and ``fct_risk_score``: no
``pii_*`` table, no check-in, screen or staff row, so names, contacts, notes, coping text and
source ids cannot reach the frame. ``COLUMNS`` is the allow-list of what a file may hold.
Time is days (or weeks) since admission beside the admission year; a per-row calendar year is
left out on purpose, since the day on which the year turns over would give away the admission
date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Connection, Engine, select

from etl.export.generalise import UNKNOWN, age_band, zip3
from etl.models import DimClient, DimProgram, FctClientDay, FctRiskScore

SEXES = frozenset({"female", "male", "other"})

COLUMN_DOCS: dict[str, str] = {
    "pseudonym": "Random surrogate for the client (not derived from any client data)",
    "program": "Program code",
    "age_band": "Age at admission in bands; 90+ is one band; coarser bands or * where "
    "needed for k-anonymity",
    "sex": "female / male / other / unknown; * where generalised",
    "zip3": "First three ZIP digits; 000 for restricted areas; * where generalised",
    "admission_year": "Calendar year of admission; * where generalised",
    "period": "Days (day grain) or weeks (week grain) since admission, 0 = admission",
    "expected": "Check-ins expected in the period",
    "received": "Check-ins received in the period",
    "missed": "Expected check-ins missed in the period",
    "missed_streak": "Longest run of missed check-ins at the end of a day in the period",
    "craving": "Mean craving 0-10",
    "stress": "Mean stress 0-10",
    "mood": "Mean mood 0-10",
    "sleep_hours": "Mean hours of sleep",
    "sleep_quality": "Mean sleep quality",
    "used": "Reported use in the period (1/0)",
    "screen_positive": "Positive drug screen in the period (1/0)",
    "trigger_count": "Trigger categories reported (count, no text)",
    "support_contact": "Contact with support reported (1/0)",
    "adherence_7d": "Share of expected check-ins received over the last 7 days",
    "risk_score": "Highest daily risk score in the period",
    "risk_tier": "Tier of that highest score",
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_DOCS)
# Expert Determination mode only: dates moved by the client's secret offset (``date_shift``).
SHIFTED_DOCS: dict[str, str] = {
    "admission_date": "Admission date moved by the client's secret offset (Expert "
    "Determination mode; the same offset for all of one client's dates)",
    "date": "The day (day grain) or the first day of the client-week (week grain), moved by "
    "the same offset",
}
SHIFTED_COLUMNS: tuple[str, ...] = (*COLUMNS[:6], *SHIFTED_DOCS, *COLUMNS[6:])


def columns(mode: str) -> tuple[str, ...]:
    return SHIFTED_COLUMNS if mode == "expert_determination" else COLUMNS


def column_docs(mode: str) -> dict[str, str]:
    return {**COLUMN_DOCS, **SHIFTED_DOCS} if mode == "expert_determination" else COLUMN_DOCS


PERSON_COLUMNS = ("pseudonym", "program", "age_band", "sex", "zip3", "admission_year")


@dataclass(frozen=True)
class Query:
    program_id: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    grain: str = "day"  # day | week


def shift_dates(raw: pd.DataFrame, offsets: dict[int, int]) -> pd.DataFrame:
    """The same rows with ``date`` and ``admission_date`` moved by each client's offset."""
    out = raw.copy()
    delta = pd.to_timedelta(out["client_key"].map(offsets).astype(int), unit="D")
    out["date"] = pd.to_datetime(out["date"]) + delta
    out["admission_date"] = pd.to_datetime(out["admission_date"]) + delta
    return out


def dated(facts: pd.DataFrame, admitted: pd.Series, grain: str) -> pd.DataFrame:
    """Add ``admission_date`` and ``date`` (ISO text) from each client's (shifted) admission
    date (``admitted``, indexed by client key)."""
    adm = pd.to_datetime(facts["client_key"].map(pd.to_datetime(admitted)))
    step = 1 if grain == "day" else 7
    out = facts.copy()
    out["admission_date"] = adm.dt.strftime("%Y-%m-%d")
    out["date"] = (adm + pd.to_timedelta(out["period"] * step, unit="D")).dt.strftime("%Y-%m-%d")
    return out


# How each column of the client-day read is held: small integers for flags and counts, floats
# (NaN for missing) for the signals and the score, the tier as a category.
FACT_TYPES: dict[str, object] = {
    "client_key": np.int64,
    "date": "date",
    "is_expected": np.int8,
    "is_received": np.int8,
    "is_missed": np.int8,
    "missed_streak": np.int16,
    "craving": np.float64,
    "stress": np.float64,
    "mood": np.float64,
    "sleep_hours": np.float64,
    "sleep_quality": np.float64,
    "used_reported": np.int8,
    "screen_positive": np.int8,
    "trigger_count": np.int16,
    "support_contact": np.float64,  # may be unknown
    "adherence_7d": np.float64,
    "score": np.float64,  # no score that day: NaN
    "tier": "category",
}
FACT_COLUMNS = tuple(FACT_TYPES)[:-2]  # fct_client_day's; the score and tier are the last two
CLIENT_TYPES: dict[str, object] = {
    "client_key": np.int64,
    "sex": "category",
    "birth_year": np.float64,  # may be unknown
    "zip": "category",
    "admission_date": "date",
    "program": "category",
}


def _column(values: tuple, kind) -> np.ndarray | pd.Categorical:
    if kind == "date":  # ISO text (SQLite) or dates (psycopg) alike
        return np.array(values, dtype="datetime64[D]").astype("datetime64[s]")
    if kind == "category":
        return pd.Categorical(values)
    return np.array(values, dtype=kind)  # None becomes NaN in a float column


def _rows(conn: Connection, stmt, types: dict[str, object]) -> pd.DataFrame:
    """Run a select through the driver and build typed columns from plain tuples, in batches.

    SQLAlchemy's per-value result processing and pandas' type inference over a million tuples
    cost more than the query on a year of a large program: each batch is turned into numpy
    columns of a known type before the next is fetched, so only one batch of tuples lives."""
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.params
    if compiled.positional:
        values = [params[name] for name in compiled.positiontup]
        args = tuple(v.isoformat() if isinstance(v, dt.date) else v for v in values)
    else:
        args = params
    # PostgreSQL: a server-side cursor, else psycopg holds the whole result (hundreds of MiB
    # for a year) before the first batch; SQLite streams either way.
    cursor = conn.execution_options(stream_results=True).exec_driver_sql(str(compiled), args)
    names = list(types)
    parts: dict[str, list] = {n: [] for n in names}
    while batch := cursor.fetchmany(100_000):
        for name, values in zip(names, zip(*batch, strict=True), strict=True):
            parts[name].append(_column(values, types[name]))
        del batch
    if not parts[names[0]]:
        return pd.DataFrame({n: _column((), types[n]) for n in names})
    out = {}
    for name in names:
        chunks = parts.pop(name)
        if types[name] == "category":
            out[name] = union_categoricals(chunks)
        else:
            out[name] = np.concatenate(chunks)
    return pd.DataFrame(out, copy=False)


def load(engine: Engine, q: Query) -> pd.DataFrame:
    """Client-days in range with the client attributes still raw (keys, birth year, ZIP3).

    Two reads: the client-days with their score, and the (few) clients, joined in pandas with
    the clients' text as categories, so a year of 5,000 clients stays well under 1 GiB. The
    client-days are picked by ``client_key IN (the program's clients)``: SQLite then walks the
    (client_key, date) primary key in order, where a join on the program made it read through
    the date index and sort in a temporary tree (four times slower)."""
    cd, rs, c, p = FctClientDay, FctRiskScore, DimClient, DimProgram
    members = select(c.client_key).join(p, p.program_key == c.program_key)
    if q.program_id:
        members = members.where(p.program_id == q.program_id)
    facts = (
        select(*(getattr(cd, n) for n in FACT_COLUMNS), rs.score, rs.tier)
        .outerjoin(rs, (rs.client_key == cd.client_key) & (rs.date == cd.date))
        .where(cd.client_key.in_(members))
        .order_by(cd.client_key, cd.date)
    )
    if q.start:
        facts = facts.where(cd.date >= q.start)
    if q.end:
        facts = facts.where(cd.date <= q.end)
    clients = select(
        c.client_key,
        c.sex,
        c.birth_year,
        c.zip3.label("zip"),
        c.admission_date,
        p.program_id.label("program"),
    ).join(p, p.program_key == c.program_key)
    if q.program_id:
        clients = clients.where(p.program_id == q.program_id)
    with engine.connect() as conn:
        rows = _rows(conn, facts, FACT_TYPES)
        people = _rows(conn, clients, CLIENT_TYPES)
    return rows.merge(people, on="client_key", how="inner", sort=False)


def _sex(value) -> str:
    s = str(value).strip().lower() if isinstance(value, str) else ""
    return s if s in SEXES else UNKNOWN


def people(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per client: generalised quasi-identifiers and the sensitive attribute."""
    first = raw.groupby("client_key", sort=True).agg(
        sex=("sex", "first"),
        birth_year=("birth_year", "first"),
        zip=("zip", "first"),
        admission_date=("admission_date", "first"),
        program=("program", "first"),
        used=("used_reported", "max"),
        positive=("screen_positive", "max"),
    )
    adm = pd.to_datetime(first["admission_date"])
    age = adm.dt.year - pd.to_numeric(first["birth_year"], errors="coerce")
    out = pd.DataFrame(index=first.index)
    out["age"] = age
    out["age_band"] = age.map(lambda a: age_band(None if pd.isna(a) else int(a)))
    out["sex"] = first["sex"].astype(object).map(_sex)
    out["zip3"] = first["zip"].astype(object).map(lambda z: zip3(z if isinstance(z, str) else None))
    out["program"] = first["program"].astype(object).astype(str)
    out["admission_year"] = adm.dt.year.astype(str)
    out["any_use"] = (first["used"].astype(bool) | first["positive"].astype(bool)).astype(int)
    return out


def facts(raw: pd.DataFrame, grain: str) -> pd.DataFrame:
    """The per-period measures keyed by client_key and period since admission."""
    days = (pd.to_datetime(raw["date"]) - pd.to_datetime(raw["admission_date"])).dt.days
    df = pd.DataFrame(
        {
            "client_key": raw["client_key"],
            "period": days if grain == "day" else days // 7,
            "expected": raw["is_expected"].astype(int),
            "received": raw["is_received"].astype(int),
            "missed": raw["is_missed"].astype(int),
            "missed_streak": raw["missed_streak"],
            "craving": raw["craving"],
            "stress": raw["stress"],
            "mood": raw["mood"],
            "sleep_hours": raw["sleep_hours"],
            "sleep_quality": raw["sleep_quality"],
            "used": raw["used_reported"].astype(int),
            "screen_positive": raw["screen_positive"].astype(int),
            "trigger_count": raw["trigger_count"],
            "support_contact": raw["support_contact"].astype("float"),
            "adherence_7d": raw["adherence_7d"],
            "risk_score": raw["score"],
            "risk_tier": raw["tier"],
        }
    )
    if grain == "day":
        return df
    top = df.sort_values("risk_score").groupby(["client_key", "period"]).tail(1)
    agg = df.groupby(["client_key", "period"], as_index=False).agg(
        expected=("expected", "sum"),
        received=("received", "sum"),
        missed=("missed", "sum"),
        missed_streak=("missed_streak", "max"),
        craving=("craving", "mean"),
        stress=("stress", "mean"),
        mood=("mood", "mean"),
        sleep_hours=("sleep_hours", "mean"),
        sleep_quality=("sleep_quality", "mean"),
        used=("used", "max"),
        screen_positive=("screen_positive", "max"),
        trigger_count=("trigger_count", "sum"),
        support_contact=("support_contact", "max"),
        adherence_7d=("adherence_7d", "last"),
        risk_score=("risk_score", "max"),
    )
    tiers = top.set_index(["client_key", "period"])["risk_tier"]
    agg["risk_tier"] = [
        tiers.get((a, b)) for a, b in zip(agg["client_key"], agg["period"], strict=True)
    ]
    return agg

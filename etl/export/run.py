"""De-identified exports, verified before release and audited.

Order matters: build the frame, repair it to k and l (records) or suppress its small cells
(aggregate), re-measure over the frame exactly as it will be written, write owner-only
temporary files, hash, audit, and only then rename into place, so no file exists that failed
the check or went unlogged. The command line and the Reports page both come through here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from etl.audit import Actor, record
from etl.export import aggregate, anonymity, date_shift, pseudonyms, records, writers
from etl.models import DimProgram
from etl.risk.export import cli_actor

FORMATS = ("csv", "xlsx", "pdf")
MODES = writers.MODES


class ExportRefused(RuntimeError):
    """The final rows did not meet the requested k or l: nothing was released."""


@dataclass
class Result:
    path: Path
    summary: dict = field(default_factory=dict)
    preview: pd.DataFrame | None = None


def final_people(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per person from the rows as written, with the sensitive attribute."""
    if frame.empty:
        return pd.DataFrame(columns=[*anonymity.QUASI_IDENTIFIERS, anonymity.SENSITIVE])
    g = frame.groupby("pseudonym", observed=True)
    people = g[list(anonymity.QUASI_IDENTIFIERS)].first().astype(str)
    people[anonymity.SENSITIVE] = (g["used"].max() | g["screen_positive"].max()).astype(int)
    return people


def written_rows(
    facts: pd.DataFrame, person: pd.DataFrame, names: dict[int, str], cols: list[str]
) -> pd.DataFrame:
    """The rows as the file holds them, by pseudonym then period.

    The person columns (pseudonym and quasi-identifiers) are categories of the few people,
    taken to the rows by position, and the order comes from one integer sort: joining and
    sorting 1.5 million pseudonym strings cost seconds and a copy of the frame each."""
    keys = person.index.to_numpy()
    named = np.array([names[int(k)] for k in keys], dtype=object)
    by_name = np.argsort(named, kind="stable")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[by_name] = np.arange(len(keys))
    at = pd.Index(keys).get_indexer(facts["client_key"])
    if (at < 0).any():
        raise ValueError("client-days of a person who is not released")
    order = np.lexsort((facts["period"].to_numpy(), rank[at]))
    at = at[order]
    out = {"pseudonym": pd.Categorical.from_codes(rank[at], categories=named[by_name])}
    for col in person.columns:
        values = pd.Categorical(person[col].astype(str))
        out[col] = pd.Categorical.from_codes(values.codes[at], dtype=values.dtype)
    for col in cols:
        if col not in out:
            out[col] = facts[col].array.take(order)
    return pd.DataFrame(out, copy=False)[cols]


def build(
    engine: Engine,
    q: records.Query,
    *,
    k: int,
    l_div: int,
    stable: bool,
    mode: str = "safe_harbor",
):
    cols = list(records.columns(mode))
    raw = records.load(engine, q)
    if raw.empty:
        return pd.DataFrame(columns=cols), anonymity.Repair(raw, 0, 0), []
    if mode == "expert_determination":
        raw = records.shift_dates(raw, date_shift.offsets(engine, raw["client_key"].unique()))
    repair = anonymity.enforce(records.people(raw), k, l_div)
    keep = repair.people
    names = pseudonyms.assign(engine, keep.index, stable=stable)
    # A year of a large program is ~1.5 M rows: drop each frame as soon as the next exists.
    kept = raw["client_key"].isin(keep.index)
    if not kept.all():
        raw = raw[kept]
    admitted = raw.groupby("client_key")["admission_date"].first()
    facts = records.facts(raw, q.grain)
    del raw
    if mode == "expert_determination":
        facts = records.dated(facts, admitted, q.grain)
    frame = written_rows(facts, keep[list(anonymity.QUASI_IDENTIFIERS)], names, cols)
    return frame, repair, sorted(int(x) for x in keep.index)


def _release(
    engine: Engine,
    out: Path,
    *,
    fmt: str,
    summary: dict,
    write: Callable[[Path], None],
    write_notice: bool,
    category: str,
    client_keys: list[int] | None,
    actor: Actor | None,
    route: str,
) -> None:
    """Write to owner-only temporary names, hash, audit, then rename into place."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    notice = out.with_name(out.name + ".notice.txt")
    tmp_notice = out.with_name(f".{notice.name}.partial")
    try:
        write(tmp)
        if write_notice:
            writers.write_notice(summary, tmp_notice)
        summary["sha256"] = hashlib.sha256(tmp.read_bytes()).hexdigest()
        with engine.begin() as conn:
            record(
                conn,
                action="export",
                actor=actor or cli_actor(),
                route=route,
                category=category,
                client_keys=client_keys,
                detail={**summary, "file": out.name},
            )
        os.replace(tmp, out)
        if write_notice:
            os.replace(tmp_notice, notice)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_notice.unlink(missing_ok=True)


def _check(fmt: str, mode: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: {', '.join(FORMATS)}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: {', '.join(MODES)}")


@dataclass
class Prepared:
    """A verified export not yet written: what the file will hold and its summary."""

    frame: pd.DataFrame
    summary: dict
    client_keys: list[int] | None
    docs: dict[str, str]


def prepare_records(
    engine: Engine,
    query: records.Query | None = None,
    *,
    fmt: str = "csv",
    k: int = 5,
    l_div: int = 2,
    stable: bool = False,
    mode: str = "safe_harbor",
) -> Prepared:
    """Build, repair and re-measure the record-level rows (the page's preview stops here)."""
    _check(fmt, mode)
    q = query or records.Query()
    frame, repair, client_keys = build(engine, q, k=k, l_div=l_div, stable=stable, mode=mode)
    check = anonymity.measure(final_people(frame))
    if check.people and (check.k < k or check.l_div < l_div):
        raise ExportRefused(f"final rows reach k={check.k}, l={check.l_div}; need k={k}, l={l_div}")
    summary = {
        "mode": mode,
        "level": "records",
        "format": fmt,
        "program": q.program_id,
        "from": q.start.isoformat() if q.start else None,
        "to": q.end.isoformat() if q.end else None,
        "grain": q.grain,
        "k": k,
        "l": l_div,
        "k_reached": check.k or None,
        "l_reached": check.l_div or None,
        "people": check.people,
        "generalised": repair.generalised,
        "suppressed": repair.suppressed,
        "rows": len(frame),
        "stable_pseudonyms": stable,
    }
    if mode == "expert_determination":
        summary["max_shift_days"] = date_shift.MAX_SHIFT_DAYS
    return Prepared(frame, summary, client_keys, records.column_docs(mode))


def export_records(
    engine: Engine,
    out: Path,
    *,
    fmt: str = "csv",
    query: records.Query | None = None,
    k: int = 5,
    l_div: int = 2,
    stable: bool = False,
    mode: str = "safe_harbor",
    actor: Actor | None = None,
    progress: writers.Progress | None = None,
    route: str = "caseload export",
) -> Result:
    prepared = prepare_records(engine, query, fmt=fmt, k=k, l_div=l_div, stable=stable, mode=mode)
    return release(engine, prepared, out, actor=actor, progress=progress, route=route)


def release(
    engine: Engine,
    prepared: Prepared,
    out: Path,
    *,
    actor: Actor | None = None,
    progress: writers.Progress | None = None,
    route: str = "caseload export",
) -> Result:
    """Write a prepared export in its format, audit it and move it into place."""
    frame, summary, fmt = prepared.frame, prepared.summary, prepared.summary["format"]
    aggregate_level = summary["level"] == "aggregate"

    def write(tmp: Path) -> None:
        if fmt == "csv":
            writers.write_csv(frame, tmp, progress)
        elif fmt == "xlsx":
            writers.write_xlsx(frame, summary, tmp, progress, docs=prepared.docs)
        else:
            from etl.export import pdf

            if aggregate_level:
                pdf.write_aggregate_pdf(frame, summary, tmp)
            else:
                pdf.write_records_pdf(frame, summary, prepared.docs, tmp)

    _release(
        engine,
        out,
        fmt=fmt,
        summary=summary,
        write=write,
        write_notice=fmt == "csv",
        category="deidentified_aggregate" if aggregate_level else "deidentified_records",
        client_keys=prepared.client_keys,
        actor=actor,
        route=route,
    )
    return Result(Path(out), summary, frame.head(20))


def program_keys(engine: Engine, program_id: str | None) -> list[int]:
    """Every program (``None``) or the one named; an unknown id is an error."""
    stmt = select(DimProgram.program_key)
    if program_id:
        stmt = stmt.where(DimProgram.program_id == program_id)
    with engine.connect() as conn:
        keys = [int(k) for k in conn.execute(stmt).scalars()]
    if program_id and not keys:
        raise ExportRefused(f"no program with id {program_id!r}")
    return keys


def prepare_aggregate(
    engine: Engine,
    *,
    fmt: str = "csv",
    program_keys: list[int],
    start: dt.date | None = None,
    end: dt.date | None = None,
    grain: str = "month",
    progress: writers.Progress | None = None,
) -> Prepared:
    """The program-outcome table with small cells suppressed. ``program_keys`` must be
    those the caller may export (the command line: any; the page: its scope's)."""
    _check(fmt, "safe_harbor")
    with engine.connect() as conn:
        if start is None or end is None:
            lo, hi = aggregate.default_range(conn, program_keys)
            start, end = start or lo, end or hi
        if start > end:
            raise ExportRefused("the period ends before it starts")
        report = aggregate.build(conn, program_keys, start, end, grain, progress)
    start = aggregate.periods(start, end, grain)[0].start
    summary = {
        "mode": "safe_harbor",
        "level": "aggregate",
        "format": fmt,
        "program": report.programs[0] if len(report.programs) == 1 else None,
        "programs": report.programs,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "grain": grain,
        "counselors": report.counselors,
        "rows": len(report.table),
        "cells": report.cells,
        "cells_suppressed": report.suppressed,
        "suppressed_primary": report.suppressed_primary,
        "suppressed_complementary": report.suppressed_complementary,
        "k_reached": report.smallest_cell,
        "min_cell": aggregate.SMALL_N,
    }
    return Prepared(report.table, summary, None, aggregate.COLUMN_DOCS)


def export_aggregate(
    engine: Engine,
    out: Path,
    *,
    fmt: str = "csv",
    program_keys: list[int],
    start: dt.date | None = None,
    end: dt.date | None = None,
    grain: str = "month",
    actor: Actor | None = None,
    progress: writers.Progress | None = None,
    route: str = "caseload export",
) -> Result:
    prepared = prepare_aggregate(
        engine,
        fmt=fmt,
        program_keys=program_keys,
        start=start,
        end=end,
        grain=grain,
        progress=progress,
    )
    return release(engine, prepared, out, actor=actor, progress=progress, route=route)

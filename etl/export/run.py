"""A record-level de-identified export, verified before release and audited.

Order matters: build the frame, repair it to k and l, re-measure over the frame exactly as it will
be written (one row per person), write owner-only temporary files, hash, audit, and only then
rename into place, so no file exists that failed the check or went unlogged.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from etl.audit import Actor, record
from etl.export import anonymity, pseudonyms, records, writers
from etl.risk.export import cli_actor


class ExportRefused(RuntimeError):
    """The final rows did not meet the requested k or l: nothing was released."""


@dataclass
class Result:
    path: Path
    summary: dict = field(default_factory=dict)


def final_people(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per person from the rows as written, with the sensitive attribute."""
    if frame.empty:
        return pd.DataFrame(columns=[*anonymity.QUASI_IDENTIFIERS, anonymity.SENSITIVE])
    g = frame.groupby("pseudonym")
    people = g[list(anonymity.QUASI_IDENTIFIERS)].first()
    people[anonymity.SENSITIVE] = (g["used"].max() | g["screen_positive"].max()).astype(int)
    return people


def build(engine: Engine, q: records.Query, *, k: int, l_div: int, stable: bool):
    raw = records.load(engine, q)
    if raw.empty:
        return pd.DataFrame(columns=list(records.COLUMNS)), anonymity.Repair(raw, 0, 0), []
    repair = anonymity.enforce(records.people(raw), k, l_div)
    keep = repair.people
    names = pseudonyms.assign(engine, keep.index, stable=stable)
    facts = records.facts(raw, q.grain)
    facts = facts[facts["client_key"].isin(keep.index)]
    person = keep[list(anonymity.QUASI_IDENTIFIERS)].copy()
    person["pseudonym"] = [names[int(ck)] for ck in person.index]
    frame = facts.join(person, on="client_key").drop(columns="client_key")
    frame = frame.sort_values(["pseudonym", "period"])[list(records.COLUMNS)]
    return frame.reset_index(drop=True), repair, sorted(int(x) for x in keep.index)


def export_records(
    engine: Engine,
    out: Path,
    *,
    fmt: str = "csv",
    query: records.Query | None = None,
    k: int = 5,
    l_div: int = 2,
    stable: bool = False,
    actor: Actor | None = None,
    progress: writers.Progress | None = None,
) -> Result:
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown format {fmt!r}: csv or xlsx")
    q = query or records.Query()
    frame, repair, client_keys = build(engine, q, k=k, l_div=l_div, stable=stable)
    check = anonymity.measure(final_people(frame))
    if check.people and (check.k < k or check.l_div < l_div):
        raise ExportRefused(f"final rows reach k={check.k}, l={check.l_div}; need k={k}, l={l_div}")
    summary = {
        "mode": "safe_harbor",
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
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    notice = out.with_name(out.name + ".notice.txt")
    tmp_notice = out.with_name(f".{notice.name}.partial")
    try:
        if fmt == "csv":
            writers.write_csv(frame, tmp, progress)
            writers.write_notice(summary, tmp_notice)
        else:
            writers.write_xlsx(frame, summary, tmp, progress)
        summary["sha256"] = hashlib.sha256(tmp.read_bytes()).hexdigest()
        with engine.begin() as conn:
            record(
                conn,
                action="export",
                actor=actor or cli_actor(),
                route="caseload export",
                category="deidentified_records",
                client_keys=client_keys,
                detail={**summary, "file": out.name},
            )
        os.replace(tmp, out)
        if fmt == "csv":
            os.replace(tmp_notice, notice)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_notice.unlink(missing_ok=True)
    return Result(out, summary)

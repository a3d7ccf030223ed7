"""Stage a chunk: read each raw text column into its type, then check the typed rows.

Two steps, both over whole columns: each field's ``cast`` (text that cannot be read at all) and
one pandera schema per kind (ranges, allowed values, required fields, lengths, rules across
columns). Failures become ``Problems`` with the message a person fixing the source needs.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from etl.ingest.kinds.base import Kind
from etl.ingest.problems import Problems


@cache
def schema_for(kind: Kind) -> pa.DataFrameSchema:
    columns = {
        f.name: pa.Column(
            checks=[r.check for r in f.checks()], nullable=not f.required, required=True
        )
        for f in kind.fields
    }
    return pa.DataFrameSchema(columns, checks=[r.check for r in kind.row_rules])


def stage(kind: Kind, raw: pd.DataFrame) -> tuple[pd.DataFrame, Problems]:
    """Typed rows (same index as ``raw``, a RangeIndex) and the problems found in them."""
    problems = Problems(len(raw))
    typed: dict[str, pd.Series] = {}
    for f in kind.fields:
        text = raw[f.name] if f.name in raw.columns else pd.Series("", index=raw.index, dtype="str")
        cast = f.cast(text)
        typed.update(cast.columns)
        for pos in np.flatnonzero(cast.bad):
            value = text.iloc[pos]
            problems.add(pos, f.name, None if f.pii else value, cast.message(value))
    frame = pd.DataFrame(typed, index=raw.index)
    _check(kind, frame, raw, problems)
    return frame, problems


def _check(kind: Kind, frame: pd.DataFrame, raw: pd.DataFrame, problems: Problems) -> None:
    schema = schema_for(kind)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        _collect(kind, frame, raw, err.failure_cases, problems)


def _collect(
    kind: Kind, frame: pd.DataFrame, raw: pd.DataFrame, cases: pd.DataFrame, problems: Problems
) -> None:
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            raise RuntimeError(f"{kind.name}: schema failure without a row: {case.check}")
        pos = int(case.index)
        if case.column is None or case.schema_context == "DataFrameSchema":
            rule = kind.row_rules[int(case.check_number)]
            problems.add(pos, rule.column, None, rule.message(frame.iloc[pos]))
            continue
        f = kind.field(case.column)
        if f is None:
            continue
        if case.check == "not_nullable":
            problems.add(pos, f.name, None, f"{f.name} is missing")
            continue
        rule = f.checks()[int(case.check_number)]
        text = raw[f.name].iloc[pos] if f.name in raw.columns else None
        problems.add(pos, f.name, None if f.pii else text, rule.message(case.failure_case))

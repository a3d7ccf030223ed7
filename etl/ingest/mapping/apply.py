"""A chunk of source rows through a mapping: contract text out, source-named problems.

Rules turn source text into the contract's text, exactly as a canonical CSV would hold it, so
validation, loading and quarantine stay the shared ones. A cell a rule cannot convert (a
value not in the value map, a number that is not one, a date in another format) rejects its
row here, naming the source column and value; problems found later by the contract's checks
are re-labelled by ``explain`` with the source column and value they came from.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from etl.ingest.fields import Date, Field
from etl.ingest.mapping.spec import Mapping, Rule, Split, fold
from etl.ingest.sources.base import Chunk, Malformed

SOURCE_PREFIX = "source:"  # source values kept beside the contract text, for messages


class _Errors:
    """Per-row rule failures: the first column and value, and every reason."""

    def __init__(self, n: int) -> None:
        self.first: dict[int, tuple[str, str | None]] = {}
        self.reasons: dict[int, list[str]] = {}
        self.mask = np.zeros(n, dtype=bool)

    def add(self, rows: np.ndarray, column: str, values: pd.Series, reason) -> None:
        for pos in rows:
            value = values.iloc[pos]
            self.first.setdefault(int(pos), (column, value))
            self.reasons.setdefault(int(pos), []).append(reason(value))
        self.mask[rows] = True


def _by_uniques(text: pd.Series, convert) -> tuple[pd.Series, np.ndarray]:
    """Apply ``convert`` (text -> text, or ``None`` when it cannot) once per distinct value."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    out, bad = [], np.zeros(len(uniques), dtype=bool)
    for i, u in enumerate(uniques):
        converted = convert(str(u)) if str(u).strip() else ""
        bad[i] = converted is None
        out.append("" if converted is None else converted)
    values = np.asarray(out, dtype=object)
    if not len(codes):
        return pd.Series([], dtype="str"), np.zeros(0, dtype=bool)
    return pd.Series(values[codes], index=text.index, dtype="str"), bad[codes]


def _number(text: str) -> float | None:
    """A plain decimal number; "1,500" is refused rather than guessed (thousands or a
    decimal comma?)."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _rule(rule: Rule, source: pd.Series, f: Field | None, pii: bool, errors: _Errors) -> pd.Series:
    src = rule.label or rule.source or ""
    shown = (lambda v: "") if pii else (lambda v: f" '{v}'")
    text = source
    if rule.values is not None:
        table = dict(rule.values)
        blank_to = table.get("", "")

        def mapped(raw: str) -> str | None:
            return table.get(fold(raw))

        text, bad = _by_uniques(text, mapped)
        blank = source.str.strip() == ""
        text = text.where(~blank, blank_to)
        bad &= ~blank.to_numpy()
        errors.add(
            np.flatnonzero(bad),
            src,
            source,
            lambda v: f"{src}{shown(v)} is not in the value map for {rule.target}",
        )
    if rule.units is not None:
        factor = rule.factor
        before = text

        def converted(raw: str) -> str | None:
            number = _number(raw)
            return None if number is None else f"{number * factor:.10g}"

        text, bad = _by_uniques(before, converted)
        a, b = rule.units
        errors.add(
            np.flatnonzero(bad),
            src,
            source,
            lambda v: f"{src}{shown(v)} is not a number (converting {a} to {b} for {rule.target})",
        )
    if rule.date_format is not None:
        fmt = rule.date_format

        as_date = isinstance(f, Date)

        def parsed(raw: str) -> str | None:
            try:
                stamp = dt.datetime.strptime(raw.strip(), fmt)
            except ValueError:
                return None
            return stamp.date().isoformat() if as_date else stamp.isoformat()

        text, bad = _by_uniques(text, parsed)
        errors.add(
            np.flatnonzero(bad),
            src,
            source,
            lambda v: f"{src}{shown(v)} does not match the date format '{fmt}' for {rule.target}",
        )
    return text


def _split(split: Split, source: pd.Series) -> dict[str, pd.Series]:
    parts = source.str.split(split.separator, n=len(split.into) - 1, expand=True, regex=False)
    out = {}
    for i, target in enumerate(split.into):
        piece = parts[i] if i in parts.columns else pd.Series("", index=source.index)
        out[target] = piece.fillna("").str.strip().astype("str")
    return out


def map_chunk(mapping: Mapping, chunk: Chunk) -> Chunk:
    """The chunk's source rows as contract text; rows a rule rejected become malformed rows."""
    frame = chunk.frame
    n = len(frame)
    errors = _Errors(n)
    out: dict[str, pd.Series] = {}
    source = {c: frame[c].fillna("").astype("str") for c in mapping.sources}
    for rule in mapping.rules:
        f = mapping.kind.field(rule.target)
        if rule.constant is not None:
            out[rule.target] = pd.Series(rule.constant, index=frame.index, dtype="str")
        else:
            pii = mapping.source_is_pii(rule.source or "")
            out[rule.target] = _rule(rule, source[rule.source], f, pii, errors)
    for split in mapping.splits:
        out.update(_split(split, source[split.source]))
    for name, values in source.items():
        out[SOURCE_PREFIX + name] = values
    mapped = pd.DataFrame(out, index=frame.index)
    bad = errors.mask
    malformed = list(chunk.malformed)
    for pos in np.flatnonzero(bad):
        column, value = errors.first[int(pos)]
        pii = mapping.source_is_pii(_source_of(mapping, column))
        malformed.append(
            Malformed(
                line=int(chunk.lines[pos]),
                fields=[source[c].iloc[pos] for c in mapping.sources],
                reason="; ".join(errors.reasons[int(pos)]),
                column=column,
                value=None if pii else value,
            )
        )
    malformed.sort(key=lambda m: m.line)
    return Chunk(
        frame=mapped[~bad].reset_index(drop=True),
        lines=chunk.lines[~bad],
        malformed=malformed,
        explain=lambda rejected: explain(mapping, rejected),
    )


def _source_of(mapping: Mapping, label: str) -> str:
    return next((r.source for r in mapping.rules if r.label == label and r.source), "")


def explain(mapping: Mapping, rejected: pd.DataFrame) -> pd.DataFrame:
    """Contract problems of mapped rows, re-stated with the source column and value."""
    if rejected.empty:
        return rejected
    rejected = rejected.copy()
    columns, values, reasons = [], [], []
    for r in rejected.itertuples(index=False):
        column, value, reason = r.column, r.value, r.reason
        origin = mapping.origin(column) if column else None
        f = mapping.kind.field(column) if column else None
        if isinstance(origin, Rule) and origin.constant is not None:
            shown = "" if f is not None and f.pii else f" {origin.constant!r}"
            reason = f"constant {column}{shown}: {reason}"
        elif origin is not None:
            source = origin.source
            pii = mapping.source_is_pii(str(source))
            label = origin.label
            value = None if pii else (r.raw or {}).get(SOURCE_PREFIX + str(source))
            reason = f"{label}{'' if pii else f' {value!r}'}: {reason}"
            column = label
        columns.append(column)
        values.append(value)
        reasons.append(reason)
    rejected["column"], rejected["value"], rejected["reason"] = columns, values, reasons
    return rejected

"""A mapping file, read and checked as a whole before any row of a data file is read.

A mapping tells how another CSV shape (a REDCap report, another app's export) becomes one kind
of the data contract: which source column feeds which contract field, value maps
(``"Not at all" -> 0``), unit conversions (``minutes -> hours``), date formats, constants,
and one source column split into several fields. Every rule is checked here against the
kind's own fields, so a typo in the mapping is one clear error naming the file and the key,
not ten thousand quarantined rows. The format is documented in ``docs/mapping.md``.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from etl.ingest.detect import normalize
from etl.ingest.fields import Date, Field, Float, Int, IntChoice, Timestamp
from etl.ingest.kinds import BY_NAME, KINDS, Kind
from etl.ingest.validate import stage

NUMERIC = (Int, Float, IntChoice)
DATES = (Date, Timestamp)
UNITS = {"seconds": 1 / 3600, "minutes": 1 / 60, "hours": 1.0, "days": 24.0}
TOP_KEYS = ("kind", "columns", "constants", "split")
RULE_KEYS = ("from", "values", "unit", "date_format")
SPLIT_KEYS = ("from", "separator", "into")


class MappingError(ValueError):
    """The mapping file cannot be used; the message names the file and the offending key."""


@dataclass(frozen=True)
class Rule:
    """How one contract field gets its text: from a source column (optionally through a value
    map, a unit conversion or a date format) or from a constant."""

    target: str
    where: str  # the mapping key, for messages: columns.craving, constants.program_id
    source: str | None = None  # normalised source column name
    label: str | None = None  # the source column as the mapping wrote it
    constant: str | None = None
    values: tuple[tuple[str, str], ...] | None = None  # (folded source text, contract text)
    units: tuple[str, str] | None = None
    date_format: str | None = None

    @property
    def factor(self) -> float:
        assert self.units is not None
        return UNITS[self.units[0]] / UNITS[self.units[1]]


@dataclass(frozen=True)
class Split:
    """One source column cut at a separator into several contract fields, left to right."""

    source: str
    label: str
    separator: str
    into: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class Mapping:
    path: Path
    kind: Kind
    rules: tuple[Rule, ...]
    splits: tuple[Split, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The source columns the mapping reads, in the order they are first named."""
        names = [r.source for r in self.rules if r.source] + [s.source for s in self.splits]
        return tuple(dict.fromkeys(names))

    def label(self, source: str) -> str:
        for r in self.rules:
            if r.source == source and r.label:
                return r.label
        return next(s.label for s in self.splits if s.source == source)

    def source_is_pii(self, source: str) -> bool:
        """Whether any field fed by ``source`` is an identifier: then its values are never
        echoed, whichever of those fields a message is about."""
        targets = [r.target for r in self.rules if r.source == source]
        targets += [t for s in self.splits if s.source == source for t in s.into]
        return any(getattr(self.kind.field(t), "pii", False) for t in targets)

    def origin(self, target: str) -> Rule | Split | None:
        for r in self.rules:
            if r.target == target:
                return r
        return next((s for s in self.splits if target in s.into), None)


def fold(text: str) -> str:
    """Value-map keys match the source text trimmed and case-folded."""
    return text.strip().casefold()


def as_text(value: object) -> str:
    """A TOML/YAML scalar as the text a CSV cell would hold."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raise ``MappingError`` with one clear message."""
    path = Path(path)
    doc = _parse(path)
    return _Checker(path).check(doc)


def _parse(path: Path) -> dict:
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise MappingError(f"{path}: a mapping file must end in .toml, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    try:
        doc = tomllib.loads(text) if suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = "TOML" if suffix == ".toml" else "YAML"
        raise MappingError(f"{path}: is not valid {what} ({first})") from None
    if not isinstance(doc, dict):
        raise MappingError(f"{path}: must be a table with the keys {', '.join(TOP_KEYS)}")
    return doc


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.by: dict[str, str] = {}  # target -> the key that mapped it

    def fail(self, where: str | None, message: str) -> MappingError:
        return MappingError(f"{self.path}: {where + ': ' if where else ''}{message}")

    def check(self, doc: dict) -> Mapping:
        for key in doc:
            if key not in TOP_KEYS:
                raise self.fail(None, f"unknown key '{key}' (expected {', '.join(TOP_KEYS)})")
        names = ", ".join(k.name for k in KINDS)
        if "kind" not in doc:
            raise self.fail(None, f"kind is missing (one of {names})")
        kind = BY_NAME.get(str(doc["kind"]))
        if kind is None:
            raise self.fail("kind", f"'{doc['kind']}' is not one of {names}")
        rules = [self._column(kind, t, spec) for t, spec in self._table(doc, "columns").items()]
        rules += [self._constant(kind, t, v) for t, v in self._table(doc, "constants").items()]
        splits = self._splits(kind, doc.get("split", []))
        for f in kind.fields:
            if f.required and f.name not in self.by:
                raise self.fail(
                    None, f"required field '{f.name}' of kind {kind.name} is not mapped"
                )
        return Mapping(self.path, kind, tuple(rules), splits)

    def _table(self, doc: dict, key: str) -> dict:
        table = doc.get(key, {})
        if not isinstance(table, dict):
            raise self.fail(key, "must be a table of contract field = rule")
        return table

    def _field(self, kind: Kind, target: object, where: str) -> Field:
        f = kind.field(str(target))
        if f is None:
            raise self.fail(where, f"unknown target field '{target}' for kind {kind.name}")
        if f.name in self.by:
            raise self.fail(where, f"field '{f.name}' is already mapped by {self.by[f.name]}")
        self.by[f.name] = where
        return f

    def _column(self, kind: Kind, target: str, spec: object) -> Rule:
        where = f"columns.{target}"
        f = self._field(kind, target, where)
        if isinstance(spec, str):
            spec = {"from": spec}
        if not isinstance(spec, dict):
            raise self.fail(where, "must be a source column name or a table with 'from'")
        for key in spec:
            if key not in RULE_KEYS:
                raise self.fail(where, f"unknown key '{key}' (expected {', '.join(RULE_KEYS)})")
        label = spec.get("from")
        if not isinstance(label, str) or not label.strip():
            raise self.fail(where, "'from' (the source column) is missing")
        values = self._values(kind, f, spec.get("values"), f"{where}.values")
        units = self._units(f, spec.get("unit"), f"{where}.unit")
        date_format = self._date_format(f, spec.get("date_format"), f"{where}.date_format")
        return Rule(
            target=f.name,
            where=where,
            source=normalize(label),
            label=label,
            values=values,
            units=units,
            date_format=date_format,
        )

    def _constant(self, kind: Kind, target: str, value: object) -> Rule:
        where = f"constants.{target}"
        f = self._field(kind, target, where)
        text = as_text(value)
        self._valid(kind, f, text, where, f"'{text}'")
        return Rule(target=f.name, where=where, constant=text)

    def _values(
        self, kind: Kind, f: Field, values: object, where: str
    ) -> tuple[tuple[str, str], ...] | None:
        if values is None:
            return None
        if not isinstance(values, dict) or not values:
            raise self.fail(where, "must be a table of source text = contract value")
        out: list[tuple[str, str]] = []
        for key, value in values.items():
            text = as_text(value)
            if text:
                self._valid(kind, f, text, where, f"'{as_text(key)}' maps to '{text}'")
            out.append((fold(as_text(key)), text))
        return tuple(out)

    def _valid(self, kind: Kind, f: Field, text: str, where: str, what: str) -> None:
        """A constant or a value-map output must itself be a valid value of the field."""
        _, problems = stage(kind, pd.DataFrame({f.name: pd.Series([text], dtype="str")}))
        reasons = [
            r
            for c, r in zip(problems.columns, problems.reasons, strict=True)
            if c == f.name and not r.endswith("is missing")
        ]
        if reasons:
            raise self.fail(where, f"{what}, but {reasons[0]}")

    def _units(self, f: Field, unit: object, where: str) -> tuple[str, str] | None:
        if unit is None:
            return None
        if not isinstance(f, NUMERIC):
            raise self.fail(where, f"{f.name} is not a numeric field")
        parts = [p.strip().lower() for p in str(unit).split("->")]
        if len(parts) != 2 or not all(p in UNITS for p in parts):
            raise self.fail(
                where,
                f"'{unit}' is not a conversion between {', '.join(UNITS)} "
                "(write it as 'minutes -> hours')",
            )
        return parts[0], parts[1]

    def _date_format(self, f: Field, fmt: object, where: str) -> str | None:
        if fmt is None:
            return None
        if not isinstance(f, DATES):
            raise self.fail(where, f"{f.name} is not a date or timestamp field")
        if not isinstance(fmt, str) or "%" not in fmt:
            raise self.fail(where, f"'{fmt}' is not a strftime format such as '%m/%d/%Y'")
        try:
            dt.datetime.strptime(dt.datetime(2026, 1, 2, 3, 4, 5).strftime(fmt), fmt)
        except ValueError:
            raise self.fail(where, f"'{fmt}' is not a strftime format such as '%m/%d/%Y'") from None
        return fmt

    def _splits(self, kind: Kind, splits: object) -> tuple[Split, ...]:
        if isinstance(splits, dict):
            splits = [splits]
        if not isinstance(splits, list):
            raise self.fail("split", "must be a list of tables with from, separator and into")
        out = []
        for i, spec in enumerate(splits):
            where = f"split[{i}]"
            if not isinstance(spec, dict):
                raise self.fail(where, "must be a table with from, separator and into")
            for key in spec:
                if key not in SPLIT_KEYS:
                    raise self.fail(
                        where, f"unknown key '{key}' (expected {', '.join(SPLIT_KEYS)})"
                    )
            label = spec.get("from")
            if not isinstance(label, str) or not label.strip():
                raise self.fail(where, "'from' (the source column) is missing")
            separator = spec.get("separator", " ")
            if not isinstance(separator, str) or not separator:
                raise self.fail(f"{where}.separator", "must be a non-empty string")
            into = spec.get("into")
            if not isinstance(into, list) or len(into) < 2:
                raise self.fail(f"{where}.into", "must list at least two contract fields")
            fields = tuple(self._field(kind, t, f"{where}.into").name for t in into)
            out.append(Split(normalize(label), label, separator, fields, where))
        return tuple(out)

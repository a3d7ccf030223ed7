"""Declarative column types of the data contract, each with a vectorised cast.

A kind module lists its columns as fields (``Int("craving", 0, 10)``, ``Enum("result", ...)``).
Every field does two things, both on a whole chunk at once:

* ``cast`` turns the raw text column into a typed pandas column and marks the cells whose text
  could not be read at all (``'abc'`` for a number), with the message that says why;
* ``checks`` states the rules on the typed values (ranges, allowed values, lengths) as pandera
  checks, each paired with the message a reader of the quarantine will see.

Messages name the column and, for fields that are not identifiers of a person, the offending
value, so an admin can fix the source without anyone printing a name, a phone or a note.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

Message = Callable[[object], str]

_INT_RE = r"^[+-]?\d{1,9}(\.0*)?$"
_FLOAT_RE = r"^[+-]?(\d{1,12}(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TS_RE = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
    r"(?P<tz>Z|z|[+-]\d{2}(:?\d{2})?)?$"
)
_OFFSET_RE = r"[T ]\d{2}:\d{2}.*(Z|z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class Rule:
    """One pandera check on a typed column and the quarantine message for a failing value."""

    check: pa.Check
    message: Message


@dataclass
class Cast:
    """The typed columns a field produced and the cells it could not read."""

    columns: dict[str, pd.Series]
    bad: np.ndarray  # bool per row: text present but unreadable
    message: Message  # reason for a bad cell, given the raw text


@dataclass(frozen=True)
class Field:
    """A column of the contract. ``pii`` fields are never echoed in messages or reports."""

    name: str
    required: bool = False
    pii: bool = False

    def cast(self, text: pd.Series) -> Cast:
        raise NotImplementedError

    def checks(self) -> list[Rule]:
        return []

    def shown(self, value: object) -> str:
        """The value as it may appear in a message: quoted, or withheld for identifiers."""
        return "" if self.pii else f" '{value}'"


def _arrow(text: pd.Series) -> pa_arrow.Array:
    arr = pa_arrow.array(text, type=pa_arrow.large_string(), from_pandas=True)
    return pc.fill_null(arr, "")


def _mask(arr: pa_arrow.Array | pa_arrow.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _blank(arr: pa_arrow.Array) -> np.ndarray:
    return _mask(pc.equal(pc.utf8_length(arr), 0))


def _str_series(arr: pa_arrow.Array, index: pd.Index) -> pd.Series:
    out = pd.Series(arr.to_pandas(), index=index, dtype="str")
    return out.where(out != "", None)


def _by_uniques(
    text: pd.Series, convert: Callable[[str], object], dtype: str
) -> tuple[pd.Series, np.ndarray]:
    """Convert a low-cardinality column by converting each distinct value once.

    ``convert`` returns the typed value, ``None`` for blank, or raises ``ValueError`` for text it
    cannot read. Columns such as yes/no, enums and trigger lists have a handful of distinct
    values in a million rows, so this is as fast as a vectorised kernel and much clearer.
    """
    codes, uniques = pd.factorize(text.fillna(""), use_na_sentinel=False)
    values: list[object] = []
    bad_u = np.zeros(len(uniques), dtype=bool)
    for i, u in enumerate(uniques):
        try:
            values.append(convert(str(u)))
        except ValueError:
            values.append(None)
            bad_u[i] = True
    typed = pd.array(values, dtype=dtype).take(codes) if len(codes) else pd.array([], dtype=dtype)
    return pd.Series(typed, index=text.index), bad_u[codes] if len(codes) else np.zeros(0, bool)


@dataclass(frozen=True)
class Text(Field):
    """Free or coded text, trimmed; blank is missing. ``lower`` folds case for codes."""

    max_len: int = 200
    lower: bool = False

    def cast(self, text: pd.Series) -> Cast:
        arr = pc.utf8_trim_whitespace(_arrow(text))
        if self.lower:
            arr = pc.utf8_lower(arr)
        return Cast({self.name: _str_series(arr, text.index)}, np.zeros(len(text), bool), str)

    def checks(self) -> list[Rule]:
        return [
            Rule(
                pa.Check.str_length(max_value=self.max_len),
                lambda v: f"{self.name} is longer than {self.max_len} characters",
            )
        ]


@dataclass(frozen=True)
class Id(Text):
    """A source identifier (``client_id``): required, short, no inner spaces."""

    required: bool = True
    max_len: int = 64

    def checks(self) -> list[Rule]:
        return [
            *super().checks(),
            Rule(
                pa.Check(_no_spaces, name="no_spaces"),
                lambda v: f"{self.name} '{v}' contains spaces",
            ),
        ]


def _no_spaces(values: pd.Series) -> pd.Series:
    spaced = _mask(pc.match_substring_regex(_arrow(values), r"\s"))
    return pd.Series(~spaced, index=values.index)


@dataclass(frozen=True)
class Int(Field):
    lo: int = 0
    hi: int = 10

    def cast(self, text: pd.Series) -> Cast:
        arr = pc.utf8_trim_whitespace(_arrow(text))
        ok = pc.match_substring_regex(arr, _INT_RE)
        if pc.any(pc.match_substring(arr, ".")).as_py():  # "4.0" from spreadsheets
            arr = pc.replace_substring_regex(arr, r"\.0*$", "")
        num = pc.cast(pc.if_else(ok, arr, None), pa_arrow.int64())
        typed = pd.Series(num.to_pandas(types_mapper={pa_arrow.int64(): pd.Int64Dtype()}.get))
        typed.index = text.index
        bad = ~_mask(ok) & ~_blank(arr)
        return Cast(
            {self.name: typed}, bad, lambda v: f"{self.name}{self.shown(v)} is not a whole number"
        )

    def checks(self) -> list[Rule]:
        return [
            Rule(
                pa.Check.in_range(self.lo, self.hi),
                lambda v: f"{self.name} {_whole(v)} out of range {self.lo}-{self.hi}",
            )
        ]


@dataclass(frozen=True)
class Float(Field):
    lo: float = 0.0
    hi: float = 24.0

    def cast(self, text: pd.Series) -> Cast:
        arr = pc.utf8_trim_whitespace(_arrow(text))
        ok = pc.match_substring_regex(arr, _FLOAT_RE)
        num = pc.cast(pc.if_else(ok, arr, None), pa_arrow.float64())
        typed = pd.Series(num.to_pandas(types_mapper={pa_arrow.float64(): pd.Float64Dtype()}.get))
        typed.index = text.index
        bad = ~_mask(ok) & ~_blank(arr)
        return Cast(
            {self.name: typed}, bad, lambda v: f"{self.name}{self.shown(v)} is not a number"
        )

    def checks(self) -> list[Rule]:
        lo, hi = _plain(self.lo), _plain(self.hi)
        return [
            Rule(
                pa.Check.in_range(self.lo, self.hi),
                lambda v: f"{self.name} {_plain(v)} out of range {lo}-{hi}",
            )
        ]


def _whole(x: object) -> str:
    """pandera gathers failures of several columns in one column, so an int may come as 12.0."""
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _plain(x: object) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Enum(Field):
    """One of a fixed set of codes, compared case-insensitively and stored lower case."""

    values: tuple[str, ...] = ()

    def cast(self, text: pd.Series) -> Cast:
        allowed = set(self.values)

        def convert(raw: str) -> str | None:
            v = raw.strip().lower()
            if not v:
                return None
            if v not in allowed:
                raise ValueError(v)
            return v

        typed, bad = _by_uniques(text, convert, "str")
        listed = ", ".join(self.values)
        return Cast(
            {self.name: typed}, bad, lambda v: f"{self.name}{self.shown(v)} is not one of {listed}"
        )


_YES = {"yes", "y", "true", "t", "1"}
_NO = {"no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class YesNo(Field):
    def cast(self, text: pd.Series) -> Cast:
        def convert(raw: str) -> bool | None:
            v = raw.strip().lower()
            if not v:
                return None
            if v in _YES:
                return True
            if v in _NO:
                return False
            raise ValueError(v)

        typed, bad = _by_uniques(text, convert, "boolean")
        return Cast(
            {self.name: typed}, bad, lambda v: f"{self.name}{self.shown(v)} is not yes or no"
        )


@dataclass(frozen=True)
class TokenList(Field):
    """A ``;``-separated list drawn from a vocabulary (check-in triggers), normalised."""

    vocabulary: tuple[str, ...] = ()
    max_len: int = 200

    def cast(self, text: pd.Series) -> Cast:
        allowed = set(self.vocabulary)

        def convert(raw: str) -> str | None:
            items: list[str] = []
            for part in raw.split(";"):
                token = part.strip().lower()
                if not token:
                    continue
                if token not in allowed:
                    raise ValueError(token)
                if token not in items:
                    items.append(token)
            return ";".join(items) or None

        typed, bad = _by_uniques(text, convert, "str")
        listed = ", ".join(self.vocabulary)

        def message(raw: object) -> str:
            unknown = [
                p.strip()
                for p in str(raw).split(";")
                if p.strip() and p.strip().lower() not in allowed
            ]
            return f"{self.name} '{';'.join(unknown)}' is not one of {listed}"

        return Cast({self.name: typed}, bad, message)


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class TimeZone(Field):
    """An IANA time zone name (``America/New_York``): naive timestamps are read in it."""

    def cast(self, text: pd.Series) -> Cast:
        def convert(raw: str) -> str | None:
            v = raw.strip()
            if not v:
                return None
            if v not in _zones():
                raise ValueError(v)
            return v

        typed, bad = _by_uniques(text, convert, "str")
        return Cast(
            {self.name: typed}, bad, lambda v: f"{self.name} '{v}' is not an IANA time zone name"
        )


@dataclass(frozen=True)
class Date(Field):
    """A calendar date, ``YYYY-MM-DD``. ``lo``/``hi`` bound plausible values (birth dates)."""

    lo: str | None = None
    hi_today: bool = False

    def cast(self, text: pd.Series) -> Cast:
        arr = pc.utf8_trim_whitespace(_arrow(text))
        shape_ok = _mask(pc.match_substring_regex(arr, _DATE_RE))
        stripped = pd.Series(arr.to_pandas(), index=text.index, dtype="str")
        parsed = pd.to_datetime(stripped.where(shape_ok), format="%Y-%m-%d", errors="coerce")
        parsed = parsed.astype("datetime64[us]")
        bad = ~_blank(arr) & parsed.isna().to_numpy()
        return Cast(
            {self.name: parsed},
            bad,
            lambda v: f"{self.name}{self.shown(v)} is not an ISO 8601 date (YYYY-MM-DD)",
        )

    def checks(self) -> list[Rule]:
        rules: list[Rule] = []
        if self.lo is not None:
            lo = pd.Timestamp(self.lo)
            rules.append(
                Rule(
                    pa.Check.ge(lo),
                    lambda v: f"{self.name}{self.shown(_day(v))} is before {self.lo}",
                )
            )
        if self.hi_today:
            rules.append(
                Rule(
                    pa.Check(lambda s: s <= pd.Timestamp.now().normalize(), element_wise=False),
                    lambda v: f"{self.name}{self.shown(_day(v))} is in the future",
                )
            )
        return rules


def _day(v: object) -> str:
    return pd.Timestamp(v).date().isoformat() if v is not None and not pd.isna(v) else ""


@dataclass(frozen=True)
class Timestamp(Field):
    """An ISO 8601 timestamp. One with an offset is an instant; one without is wall-clock time
    in the program's time zone, resolved later by the kind once it knows the program.

    Produces ``<name>`` (datetime64: UTC for instants, wall clock for naive values) and
    ``<name>__utc`` (True where the text carried an offset).
    """

    def cast(self, text: pd.Series) -> Cast:
        arr = pc.utf8_trim_whitespace(_arrow(text))
        shape_ok = _mask(pc.match_substring_regex(arr, _TS_RE))
        # An offset can only follow a time part (a bare date's "-DD" is not one).
        aware = shape_ok & _mask(pc.match_substring_regex(arr, _OFFSET_RE))
        stripped = pd.Series(arr.to_pandas(), index=text.index, dtype="str")
        naive = shape_ok & ~aware
        out = pd.to_datetime(stripped.where(naive), format="ISO8601", errors="coerce")
        out = out.astype("datetime64[us]")
        if aware.any():
            utc = pd.to_datetime(stripped[aware], format="ISO8601", errors="coerce", utc=True)
            out[aware] = utc.dt.tz_localize(None).astype("datetime64[us]")
        bad = ~_blank(arr) & out.isna().to_numpy()
        return Cast(
            {self.name: out, f"{self.name}__utc": pd.Series(aware, index=text.index)},
            bad,
            lambda v: f"{self.name}{self.shown(v)} is not an ISO 8601 timestamp",
        )

    def checks(self) -> list[Rule]:
        floor = pd.Timestamp("1990-01-01")
        return [Rule(pa.Check.ge(floor), lambda v: f"{self.name} {_day(v)} is before 1990-01-01")]


@dataclass(frozen=True)
class Pattern(Field):
    """Text that must match a shape (ZIP code, e-mail); identifiers are not echoed."""

    regex: str = ".*"
    description: str = "valid"
    max_len: int = 200

    def cast(self, text: pd.Series) -> Cast:
        arr = pc.utf8_trim_whitespace(_arrow(text))
        ok = _mask(pc.match_substring_regex(arr, self.regex))
        blank = _blank(arr)
        typed = _str_series(arr, text.index)
        bad = ~ok & ~blank
        typed = typed.where(~bad, None)
        return Cast(
            {self.name: typed},
            bad,
            lambda v: f"{self.name}{self.shown(v)} is not {self.description}",
        )

    def checks(self) -> list[Rule]:
        return [
            Rule(
                pa.Check.str_length(max_value=self.max_len),
                lambda v: f"{self.name} is longer than {self.max_len} characters",
            )
        ]


@dataclass(frozen=True)
class IntChoice(Field):
    """A whole number from a short list of codes (the BAM's recall period: 30 or 7 days)."""

    values: tuple[int, ...] = ()

    def cast(self, text: pd.Series) -> Cast:
        allowed = set(self.values)

        def convert(raw: str) -> int | None:
            v = raw.strip()
            if not v:
                return None
            try:
                number = float(v)
            except ValueError:
                raise ValueError(v) from None
            if number != int(number) or int(number) not in allowed:
                raise ValueError(v)
            return int(number)

        typed, bad = _by_uniques(text, convert, "Int64")
        listed = " or ".join(str(v) for v in self.values)
        return Cast(
            {self.name: typed}, bad, lambda v: f"{self.name}{self.shown(v)} is not {listed}"
        )

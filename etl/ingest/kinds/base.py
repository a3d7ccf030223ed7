"""What a kind of input is: its columns, its rules, its target tables and how rows map to them.

A new kind (the BAM instrument, say) is one module that builds a ``Kind`` and is listed in
``etl.ingest.kinds.KINDS``; the reader, validation, loader, quarantine and report need no edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from sqlalchemy import Table

from etl.ingest.fields import Field
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems


@dataclass(frozen=True)
class Target:
    """Where a kind's rows go: one table keyed by the source's natural id, plus optionally a
    ``pii_`` satellite keyed by the same surrogate key (names, notes).

    ``touch`` names the client key and date columns whose values tell the derived facts which
    client-days to recompute when a row is inserted or changed.
    """

    table: Table
    natural_key: str
    surrogate_key: str
    columns: tuple[str, ...]
    derived: tuple[str, ...] = ()  # columns computed from other columns: left out of row_hash
    satellite: Table | None = None
    satellite_columns: tuple[str, ...] = ()
    satellite_when: str | None = None
    pii: frozenset[str] = frozenset()
    touch: tuple[str, str] | None = None


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row (a discharge date not before the admission date)."""

    column: str
    check: pa.Check
    message: Callable[[pd.Series], str]


# build(typed rows, lookups, problems) -> target rows: the natural key, every target column,
# the satellite columns; it adds referential problems (unknown client) to ``problems``.
Builder = Callable[[pd.DataFrame, Lookups, Problems], pd.DataFrame]


@dataclass(frozen=True)
class Kind:
    name: str
    order: int  # dependency order: programs before staff before clients before facts
    fields: tuple[Field, ...]
    target: Target
    build: Builder
    needs: frozenset[str] = frozenset()  # lookups to load: programs, staff, clients
    row_rules: tuple[RowRule, ...] = ()
    signature: str = ""  # the column that identifies this kind in a header (its source id)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def retry_hint(what: str, file: str) -> str:
    return f"(not in {what}: load {file}, then caseload ingest --retry-quarantine)"

"""What every source format hands to the pipeline: chunks of text rows, each of one kind.

A source (CSV, FHIR JSON or Bulk NDJSON) turns a file into chunks whose columns carry the
contract's names and whose values are text exactly as a CSV would hold them. A file may hold
several kinds (a FHIR Bundle mixes Patients, check-ins and screens): the source yields every
chunk of a kind before the first chunk of a later kind (``Kind.order``: dimensions before
facts), and the pipeline loads them all in the file's one transaction. Each row carries where
it came from: a line, a JSON path, or both. Everything after that (validation, loading,
quarantine, counts) is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from etl.ingest.kinds import Kind


@dataclass
class Malformed:
    """A record that could not be turned into the kind's columns at all (a row with the wrong
    number of fields, a FHIR resource that fails its model): quarantined whole, with why."""

    line: int | None
    fields: list[str] | dict
    reason: str
    json_path: str | None = None
    column: str | None = None  # set when one cell is at fault (a mapping rule's source column)
    value: str | None = None
    kind_name: str | None = None  # None: the chunk's kind; "other" for no kind of ours


# (the record's path, column -> path of its value, whether those paths are absolute or
# relative to the record's): ("entry[3].resource", {"craving": "item[0].answer[0]"}, False).
JsonPath = tuple[str, Mapping[str, str], bool]


@dataclass
class Chunk:
    frame: pd.DataFrame  # the kind's columns present in the file, as text; RangeIndex
    lines: np.ndarray  # the physical line each row starts on (-1: none, see json_paths)
    malformed: list[Malformed] = field(default_factory=list)
    kind: Kind | None = None  # None: the file's only kind (``OpenedFile.kinds[0]``)
    # Per row, where the record and each column's value sit in the document, for quarantine
    # locations (see ``JsonPath``); None for sources without JSON paths (CSV).
    json_paths: list[JsonPath] | None = None
    # A source whose columns are not the contract's (a mapping file) says, for rejected rows,
    # which of its own columns and values the contract's reasons are about.
    explain: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    # Records the source read and deliberately does not load, by reason (never an error).
    skipped: dict[str, int] = field(default_factory=dict)
    # Records the source says are withdrawn at the source (FHIR entered-in-error): natural ids.
    withdrawn: list[str] = field(default_factory=list)
    # FHIR Patient logical id -> client_id learned from this file, remembered for later files.
    links: dict[str, str] = field(default_factory=dict)


class LoadContext(Protocol):
    """What a source may ask of the warehouse while its file loads (inside its transaction)."""

    def patient_client_id(self, fhir_id: str) -> str | None:
        """The client a FHIR Patient logical id named in an earlier load, if any."""
        ...


class OpenedFile(Protocol):
    """An opened file. A source of one kind may give ``kind`` instead of ``kinds`` and take
    ``chunks(rows, exact)`` only: the pipeline passes ``context`` to sources of many kinds."""

    path: Path
    kinds: tuple[Kind, ...]  # the kinds this file may hold, in load order
    unknown_columns: list[str]
    size: int
    estimated_rows: int  # a guess from the file size, to choose bulk mode

    def chunks(
        self, rows: int, exact: bool = False, context: LoadContext | None = None
    ) -> Iterator[Chunk]:
        """Rows in order of kind, about ``rows`` at a time. ``exact`` trades speed for exact
        line numbers around malformed rows."""
        ...

    def sha256(self) -> str | None:
        """The file's digest, known once its chunks have been read to the end."""
        ...


class Source(Protocol):
    name: str

    def accepts(self, path: Path) -> bool: ...

    def open(self, path: Path) -> OpenedFile: ...

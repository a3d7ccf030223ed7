"""What every source format hands to the pipeline: a kind and chunks of text rows.

A source (CSV now; FHIR resources later) turns a file into chunks whose columns carry the
contract's names and whose values are text exactly as a CSV would hold them, with each row's
line in the file. Everything after that (validation, loading, quarantine) is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from etl.ingest.kinds import Kind


@dataclass
class Malformed:
    """A row that could not even be split into the header's columns."""

    line: int
    fields: list[str]
    reason: str
    column: str | None = None  # set when one cell is at fault (a mapping rule's source column)
    value: str | None = None


@dataclass
class Chunk:
    frame: pd.DataFrame  # the kind's columns present in the file, as text; RangeIndex
    lines: np.ndarray  # the physical line each row starts on (the header is line 1)
    malformed: list[Malformed] = field(default_factory=list)
    # A source whose columns are not the contract's (a mapping file) says, for rejected rows,
    # which of its own columns and values the contract's reasons are about.
    explain: Callable[[pd.DataFrame], pd.DataFrame] | None = None


class OpenedFile(Protocol):
    path: Path
    kind: Kind
    unknown_columns: list[str]
    size: int
    estimated_rows: int  # a guess from the file size, to choose bulk mode

    def chunks(self, rows: int, exact: bool = False) -> Iterator[Chunk]:
        """Rows in order, about ``rows`` at a time. ``exact`` trades speed for exact line
        numbers around malformed rows."""
        ...

    def sha256(self) -> str | None:
        """The file's digest, known once its chunks have been read to the end."""
        ...


class Source(Protocol):
    name: str

    def accepts(self, path: Path) -> bool: ...

    def open(self, path: Path) -> OpenedFile: ...

"""Deterministic, streaming CSV output.

Same arguments must give byte-identical files, gzip included (the gzip header stores no file
name and a zero modification time). Large files are written chunk by chunk from columns of
pre-formatted strings: formatting by table lookup and joining rows in one pass is several
times faster than the csv module, and every value written here is either from a CSV-safe
vocabulary or escaped once in its pool (see ``text.csv_field``).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np


def open_csv(path: Path, compress: bool) -> TextIO:
    """A UTF-8 text stream to ``path`` (``path`` + ``.gz`` with gzip).

    GzipFile opened by name owns (and closes) the file; its header stores the base name,
    which is the same for the same arguments, and a zero modification time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not compress:
        return open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    zipped = gzip.GzipFile(filename=str(path) + ".gz", mode="wb", mtime=0, compresslevel=6)
    return io.TextIOWrapper(zipped, encoding="utf-8", newline="")


def write_records(
    path: Path, compress: bool, header: Sequence[str], rows: Iterable[Sequence[str]]
) -> int:
    """A small file through the csv module (it quotes whatever needs quoting)."""
    with open_csv(path, compress) as stream:
        out = csv.writer(stream, lineterminator="\n")
        out.writerow(header)
        count = 0
        for row in rows:
            out.writerow(row)
            count += 1
    return count


class ColumnWriter:
    """Appends chunks of rows given as equal-length columns of CSV-ready strings."""

    def __init__(self, path: Path, compress: bool, header: Sequence[str]):
        self.header = list(header)
        self.stream = open_csv(path, compress)
        self.stream.write(",".join(self.header) + "\n")
        self.rows = 0

    def write(self, columns: Sequence[list[str]]) -> None:
        if len(columns) != len(self.header):
            raise ValueError("column count does not match the header")
        if not columns[0]:
            return
        self.stream.write("\n".join(map(",".join, zip(*columns, strict=True))))
        self.stream.write("\n")
        self.rows += len(columns[0])

    def close(self) -> None:
        self.stream.close()


def lookup(table: np.ndarray, index: np.ndarray) -> list[str]:
    """Strings by index; index -1 picks the table's last entry, which callers make blank."""
    return table[index].tolist()


def int_table(high: int) -> np.ndarray:
    """``"0"`` .. ``str(high)`` followed by a blank for -1."""
    return np.array([str(v) for v in range(high + 1)] + [""], dtype=object)


def tenths_table(high: int) -> np.ndarray:
    """One-decimal strings for 0 .. high tenths, followed by a blank for -1."""
    return np.array([f"{v // 10}.{v % 10}" for v in range(high + 1)] + [""], dtype=object)


def fraction_table(digits: int) -> np.ndarray:
    """Fixed-point strings for 0 .. 1 in steps of 10**-digits."""
    scale = 10**digits
    return np.array([f"{v / scale:.{digits}f}" for v in range(scale + 1)], dtype=object)

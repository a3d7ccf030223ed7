"""Canonical CSV files (``.csv``, ``.csv.gz``): header sniffing and chunked reading.

Two readers over the same file. The fast one is Arrow's streaming CSV parser: bounded memory
(one block at a time), every value read as text, row lines computed from the row count and the
line breaks inside quoted values. When Arrow meets a row with the wrong number of fields it
cannot say where that row was, so the file is read again with Python's ``csv`` module, which
tracks physical lines, and the malformed rows are quarantined with their true line numbers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl.ingest.detect import detect_kind, normalize
from etl.ingest.errors import FileRejected, NeedsExactReader
from etl.ingest.kinds import Kind
from etl.ingest.sources.base import Chunk, LoadContext, Malformed

GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 1 << 16
NOT_UTF8 = "is not UTF-8 text (save it as UTF-8 CSV)"


class _Tap(io.RawIOBase):
    """Reads the raw file for a parser while hashing it, so the digest costs no second read."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed with the tap
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(buffer)
        if n:
            view = memoryview(buffer)[:n]
            self.digest.update(view)
        return n or 0

    def drain(self) -> None:
        """Read to the end, so the digest covers the whole file."""
        while self.readinto(bytearray(1 << 20)):
            pass

    def close(self) -> None:
        """Parsers close their input when done; the tap stays readable until released."""

    def release(self) -> None:
        self._file.close()
        super().close()


@dataclass
class CsvFile:
    path: Path
    kind: Kind
    header: list[str]  # normalised names, in file order ('' for an unnamed column)
    unknown_columns: list[str]
    size: int
    compressed: bool
    avg_line: float
    _sha256: str | None = field(default=None, repr=False)

    def sha256(self) -> str | None:
        return self._sha256

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return (self.kind,)

    @property
    def estimated_rows(self) -> int:
        """Rows expected from the file's size (gzip CSV shrinks about fivefold)."""
        return int(self.size * (5 if self.compressed else 1) / self.avg_line)

    @property
    def known(self) -> list[str]:
        return [c for c in self.header if c in set(self.kind.columns)]

    def chunks(
        self, rows: int, exact: bool = False, context: LoadContext | None = None
    ) -> Iterator[Chunk]:
        tap = _Tap(self.path)
        try:
            reader = self._exact if exact else self._fast
            for chunk in reader(tap, rows):
                chunk.kind = self.kind
                yield chunk
            tap.drain()
            self._sha256 = tap.digest.hexdigest()
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc
        finally:
            tap.release()

    # -- fast path: Arrow --------------------------------------------------------------------

    def _fast(self, tap: _Tap, rows: int) -> Iterator[Chunk]:
        names = [f"c{i}" for i in range(len(self.header))]
        stream = pa.PythonFile(tap, mode="r")
        if self.compressed:
            stream = pa.CompressedInputStream(stream, "gzip")
        block = int(min(64 << 20, max(1 << 18, rows * self.avg_line)))
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=block, use_threads=True
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.large_string() for n in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            line = 2
            for batch in reader:
                frame, lines, line = self._batch(batch, names, line)
                yield Chunk(frame=frame, lines=lines)
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "UTF8" in text or "UTF-8" in text:
                raise FileRejected(NOT_UTF8) from exc
            if "gzip" in text.lower() or "compress" in text.lower():
                raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc
            if "CSV parse error" in text or "Expected" in text:
                raise NeedsExactReader() from exc
            raise FileRejected(f"cannot be parsed as CSV ({text.splitlines()[0][:120]})") from exc
        except OSError as exc:
            raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc

    def _batch(
        self, batch: pa.RecordBatch, names: list[str], line: int
    ) -> tuple[pd.DataFrame, np.ndarray, int]:
        n = batch.num_rows
        extra = np.zeros(n, dtype=np.int64)
        for i in range(len(names)):
            counts = pc.count_substring(batch.column(i), "\n")
            extra += np.asarray(counts.to_numpy(zero_copy_only=False), dtype=np.int64)
        starts = line + np.arange(n, dtype=np.int64) + np.cumsum(extra) - extra
        next_line = int(starts[-1] + extra[-1] + 1) if n else line
        by_name = dict(zip(self.header, range(len(names)), strict=True))
        frame = pd.DataFrame(
            {c: pd.Series(batch.column(by_name[c]).to_pandas(), dtype="str") for c in self.known}
        )
        blank = _blank_rows(batch)
        if blank.any():  # blank lines are not records: skip them, their lines still count
            frame = frame[~blank].reset_index(drop=True)
            starts = starts[~blank]
        return frame, starts, next_line

    # -- exact path: the csv module ------------------------------------------------------------

    def _exact(self, tap: _Tap, rows: int) -> Iterator[Chunk]:
        binary: io.BufferedIOBase = io.BufferedReader(tap)
        if self.compressed:
            binary = gzip.GzipFile(fileobj=binary)
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="strict")
        width = len(self.header)
        wanted = [self.header.index(c) for c in self.known]
        try:
            reader = csv.reader(text, strict=False)
            next(reader, None)
            after = reader.line_num
            batch: list[list[str]] = []
            lines: list[int] = []
            bad: list[Malformed] = []
            for record in reader:
                start, after = after + 1, reader.line_num
                if not any(v.strip() for v in record):
                    continue
                if len(record) != width:
                    bad.append(Malformed(start, record, _width_reason(start, len(record), width)))
                else:
                    batch.append([record[i] for i in wanted])
                    lines.append(start)
                if len(batch) >= rows:
                    yield self._exact_chunk(batch, lines, bad)
                    batch, lines, bad = [], [], []
            if batch or bad:
                yield self._exact_chunk(batch, lines, bad)
        except UnicodeDecodeError as exc:
            raise FileRejected(NOT_UTF8) from exc
        except csv.Error as exc:
            raise FileRejected(f"cannot be parsed as CSV ({exc})") from exc

    def _exact_chunk(self, batch: list[list[str]], lines: list[int], bad: list[Malformed]) -> Chunk:
        frame = pd.DataFrame(batch, columns=self.known, dtype="str")
        if not batch:
            frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in self.known})
        return Chunk(
            frame=frame,
            lines=np.asarray(lines, dtype=np.int64),
            malformed=list(bad),
        )


def _blank_rows(batch: pa.RecordBatch) -> np.ndarray:
    """Rows whose every field is empty or spaces. Only rows with an empty first field are
    examined, which on real files is almost none, so the common case costs one comparison."""
    first = pc.equal(pc.utf8_trim_whitespace(batch.column(0)), "")
    candidates = np.flatnonzero(np.asarray(first.to_numpy(zero_copy_only=False), dtype=bool))
    blank = np.zeros(batch.num_rows, dtype=bool)
    if len(candidates) == 0:
        return blank
    taken = batch.take(pa.array(candidates))
    empty = np.ones(len(candidates), dtype=bool)
    for column in taken.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        empty &= np.asarray(pc.equal(trimmed, "").to_numpy(zero_copy_only=False), dtype=bool)
    blank[candidates[empty]] = True
    return blank


def _width_reason(line: int, got: int, want: int) -> str:
    return f"line {line} has {got} fields, the header has {want}"


class CsvSource:
    name = "csv"

    def accepts(self, path: Path) -> bool:
        name = path.name.lower()
        return name.endswith(".csv") or name.endswith(".csv.gz")

    def open(self, path: Path) -> CsvFile:
        header = sniff_header(path)
        kind = detect_kind([h for h in header.names if h])
        unknown = [
            h or f"(unnamed column {i + 1})"
            for i, h in enumerate(header.names)
            if h not in set(kind.columns)
        ]
        return CsvFile(
            path=path,
            kind=kind,
            header=header.names,
            unknown_columns=unknown,
            size=path.stat().st_size,
            compressed=header.compressed,
            avg_line=header.avg_line,
        )


@dataclass(frozen=True)
class Header:
    names: list[str]  # normalised column names, in file order ('' for an unnamed column)
    compressed: bool
    avg_line: float


def sniff_header(path: Path) -> Header:
    """The header of a CSV file, checked for encoding and duplicate names, without its kind
    (a mapping file names the kind of a file whose columns are not the contract's)."""
    head, compressed = _head(path)
    if not head:
        raise FileRejected("is empty (no header row)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected("is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in head:
        raise FileRejected("is not a CSV text file (binary content)")
    first, _, rest = head.partition(b"\n")
    try:
        header_text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise FileRejected(NOT_UTF8) from exc
    if not header_text.strip():
        raise FileRejected("is empty (no header row)")
    header = [normalize(n) for n in next(csv.reader([header_text]))]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise FileRejected(f"column '{name}' appears twice in the header")
        seen.add(name)
    lines = rest.count(b"\n")
    avg = (len(rest) / lines) if lines else 200.0
    return Header(names=header, compressed=compressed, avg_line=max(avg, 16.0))


def _head(path: Path) -> tuple[bytes, bool]:
    with open(path, "rb") as f:
        magic = f.read(2)
    compressed = magic == GZIP_MAGIC
    try:
        if compressed:
            with gzip.open(path, "rb") as g:
                return g.read(HEAD_BYTES), True
        with open(path, "rb") as f:
            return f.read(HEAD_BYTES), False
    except (OSError, EOFError, zlib.error) as exc:
        raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc

"""A CSV file read through a mapping: the file's own columns in, one contract kind out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from etl.ingest.errors import FileRejected
from etl.ingest.kinds import Kind
from etl.ingest.mapping.apply import map_chunk
from etl.ingest.mapping.spec import Mapping
from etl.ingest.sources.base import Chunk
from etl.ingest.sources.csv_source import CsvFile, sniff_header


@dataclass
class _SourceCsv(CsvFile):
    """The CSV reader, taking the columns the mapping reads instead of the kind's."""

    wanted: tuple[str, ...] = ()

    @property
    def known(self) -> list[str]:
        return [c for c in self.header if c in self.wanted]


@dataclass
class MappedFile:
    path: Path
    kind: Kind
    unknown_columns: list[str]
    size: int
    mapping: Mapping
    _csv: _SourceCsv

    @property
    def estimated_rows(self) -> int:
        return self._csv.estimated_rows

    def chunks(self, rows: int, exact: bool = False) -> Iterator[Chunk]:
        for chunk in self._csv.chunks(rows, exact=exact):
            yield map_chunk(self.mapping, chunk)

    def sha256(self) -> str | None:
        return self._csv.sha256()


def open_mapped(path: Path, mapping: Mapping) -> MappedFile:
    """Open a CSV whose header the mapping describes; a source column it needs but the file
    lacks rejects the file before any row is read."""
    if not path.exists():
        raise FileRejected("no such file")
    if path.is_dir():
        raise FileRejected("is a directory")
    if not path.name.lower().endswith((".csv", ".csv.gz")):
        suffix = "".join(path.suffixes[-2:]) or "(none)"
        raise FileRejected(f"unsupported file type '{suffix}' (a mapping reads .csv or .csv.gz)")
    header = sniff_header(path)
    for source in mapping.sources:
        if source not in header.names:
            raise FileRejected(
                f"source column '{mapping.label(source)}' named in {mapping.path.name} "
                "is not in the header"
            )
    wanted = set(mapping.sources)
    unknown = [
        h or f"(unnamed column {i + 1})" for i, h in enumerate(header.names) if h not in wanted
    ]
    csv = _SourceCsv(
        path=path,
        kind=mapping.kind,
        header=header.names,
        unknown_columns=unknown,
        size=path.stat().st_size,
        compressed=header.compressed,
        avg_line=header.avg_line,
        wanted=mapping.sources,
    )
    return MappedFile(path, mapping.kind, unknown, csv.size, mapping, csv)

"""Source formats Caseload reads. To add one, write a module with a ``Source`` and list it in
``SOURCES``; it only has to produce text chunks of known kinds (``base.Chunk``)."""

from __future__ import annotations

from pathlib import Path

from etl.ingest.errors import FileRejected
from etl.ingest.sources.base import Chunk, LoadContext, Malformed, OpenedFile, Source
from etl.ingest.sources.csv_source import CsvSource
from etl.ingest.sources.fhir_source import FhirSource

SOURCES: tuple[Source, ...] = (CsvSource(), FhirSource())


def open_file(path: Path) -> OpenedFile:
    """Sniff ``path`` and return it opened for reading, or raise ``FileRejected``."""
    if not path.exists():
        raise FileRejected("no such file")
    if path.is_dir():
        raise FileRejected("is a directory")
    for source in SOURCES:
        if source.accepts(path):
            return source.open(path)
    suffix = "".join(path.suffixes[-2:]) or "(none)"
    raise FileRejected(
        f"unsupported file type '{suffix}' (expected .csv, .csv.gz, "
        "FHIR .json, .ndjson or .ndjson.gz)"
    )


__all__ = [
    "SOURCES",
    "Chunk",
    "LoadContext",
    "FileRejected",
    "Malformed",
    "OpenedFile",
    "Source",
    "open_file",
]

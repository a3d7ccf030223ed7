"""Declarative mapping files: another CSV shape read as one kind of the data contract.

``load_mapping(path)`` reads and checks a TOML or YAML mapping (``MappingError`` on any
problem, before a data row is read); ``open_mapped(file, mapping)`` opens a CSV through it for
the shared pipeline. The format is documented in ``docs/mapping.md``.
"""

from etl.ingest.mapping.source import MappedFile, open_mapped
from etl.ingest.mapping.spec import Mapping, MappingError, load_mapping

__all__ = ["MappedFile", "Mapping", "MappingError", "load_mapping", "open_mapped"]

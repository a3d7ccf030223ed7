"""The one kind of error an ingest reports per file instead of loading it."""

from __future__ import annotations


class FileRejected(Exception):
    """A file that cannot be read at all. The message is one line, free of row contents."""


class NeedsExactReader(Exception):
    """The fast reader met a row it cannot place (wrong number of fields): read it again with
    the line-exact reader so that the row is quarantined with its true line number."""

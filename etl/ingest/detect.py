"""Which kind a file holds, told from its column names alone."""

from __future__ import annotations

import re

from etl.ingest.errors import FileRejected
from etl.ingest.kinds import KINDS, Kind


def normalize(name: str) -> str:
    """Header names are case-insensitive; surrounding spaces, a BOM and quotes are noise."""
    name = name.replace("\ufeff", "").strip().strip('"').strip()
    return re.sub(r"[\s\-]+", "_", name).lower()


def detect_kind(columns: list[str]) -> Kind:
    """The kind whose columns the header matches best.

    A kind is a candidate when the header has its source id column (``checkin_id``) or at least
    half of its required columns; the candidate sharing the most columns wins. A file missing
    one required column is still recognised, so the error can say which column is missing.
    """
    present = set(columns)
    scored: list[tuple[int, Kind]] = []
    for kind in KINDS:
        required = set(kind.required_columns)
        has_signature = kind.signature in present
        if not has_signature and len(required & present) * 2 < len(required):
            continue
        scored.append((len(set(kind.columns) & present) + (2 if has_signature else 0), kind))
    if not scored:
        raise FileRejected(
            "cannot tell the kind of file from its header (expected the columns of one of "
            + ", ".join(k.name for k in KINDS)
            + ")"
        )
    scored.sort(key=lambda s: -s[0])
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        raise FileRejected(
            f"header fits both {scored[0][1].name} and {scored[1][1].name}; cannot tell the kind"
        )
    kind = scored[0][1]
    missing = [c for c in kind.required_columns if c not in present]
    if missing:
        raise FileRejected(f"missing required column '{missing[0]}' for kind {kind.name}")
    return kind

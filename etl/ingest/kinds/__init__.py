"""The kinds of input Caseload reads, in the order their files must load.

To add a kind, write its module (fields, target, builder) and list it here.
"""

from __future__ import annotations

from etl.ingest.kinds import bam, checkins, clients, drug_screens, programs, staff
from etl.ingest.kinds.base import Kind, Target

KINDS: tuple[Kind, ...] = tuple(
    sorted(
        (m.KIND for m in (programs, staff, clients, checkins, drug_screens, bam)),
        key=lambda k: k.order,
    )
)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}

__all__ = ["BY_NAME", "KINDS", "Kind", "Target"]

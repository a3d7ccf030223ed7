"""Steps that run after a successful ``caseload ingest``, with what the load changed.

Each entry is ``"module:function"``; the function is called as ``fn(engine, changes)`` with the
run's ``ChangeSet`` (client_key -> earliest local date touched) once all files are in, so the
derived facts and risk scores are refreshed for exactly the clients whose data moved. Imports
are lazy, like the command line's, so an ingest does not pay for modules it does not run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from etl.changes import ChangeSet

POST_LOAD: list[str] = ["etl.risk.score:refresh"]  # client-day facts and daily risk


def run_post_load(
    engine: Engine, changes: ChangeSet, hooks: list[str] | None = None
) -> dict[str, Any]:
    """Run each hook in order; return what each returned, by name, so the command line can
    say what the load set off (the risk refresh's client-days and time)."""
    ran: dict[str, Any] = {}
    for target in POST_LOAD if hooks is None else hooks:
        module, attr = target.split(":")
        ran[target] = getattr(importlib.import_module(module), attr)(engine, changes)
    return ran

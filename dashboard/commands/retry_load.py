"""Retry one load's quarantined rows: the same retry as ``caseload ingest --retry-quarantine``
(``etl.ingest.retry``), limited to that load, then the same post-load refresh."""

from __future__ import annotations

from sqlalchemy import Engine, select

from dashboard.auth.permissions import VIEW_AUDIT
from dashboard.commands.context import CommandContext, require
from dashboard.commands.errors import InvalidInput
from etl.audit import record
from etl.changes import ChangeSet
from etl.ingest.hooks import run_post_load
from etl.ingest.retry import retry
from etl.models import EtlLoad
from etl.settings import get_settings


def retry_load(engine: Engine, ctx: CommandContext, *, load_id: int) -> dict:
    """Counts of the retry (read, inserted, updated, unchanged, rejected), audited."""
    require(ctx, VIEW_AUDIT)
    if type(load_id) is not int:
        raise InvalidInput("load_id must be a number")
    with engine.connect() as conn:
        if conn.execute(select(EtlLoad.load_id).where(EtlLoad.load_id == load_id)).first() is None:
            raise InvalidInput("no such load")
    changes = ChangeSet()
    results = retry(engine, changes, chunk_rows=get_settings().chunk_rows, load_id=load_id)
    if changes:
        run_post_load(engine, changes)
    counts = {"read": 0, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for r in results:
        for name in counts:
            counts[name] += int(getattr(r, name) or 0)
    failed = [r.error for r in results if r.status == "failed"]
    with engine.begin() as conn:
        record(
            conn,
            action="ingest_retry",
            actor=ctx.actor,
            outcome="failure" if failed else "success",
            route="admin:loads:retry",
            category="etl",
            detail={"load_id": load_id, **counts, "retry_loads": [r.load_id for r in results]},
        )
    return {**counts, "failed": bool(failed)}

"""Run the Outcomes page's model check for a program and period and store it for the day.

A write, so a command: it re-resolves the program through the caller's scope, computes
(``dashboard.read.model_check``), replaces today's row for that program and period in
``mart_model_check`` and records the view, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import Engine, delete, insert

from dashboard.auth.permissions import VIEW_OUTCOMES
from dashboard.commands.context import CommandContext, require
from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.read import model_check as read_check
from dashboard.read import outcomes as read_outcomes
from etl.audit import record
from etl.models import MartModelCheck

MAX_DAYS = 731


def run_model_check(
    engine: Engine, ctx: CommandContext, *, program_id: str, start: dt.date, end: dt.date
) -> dict:
    require(ctx, VIEW_OUTCOMES)
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)) or not (
        0 <= (end - start).days < MAX_DAYS
    ):
        raise InvalidInput(f"a period of 1 to {MAX_DAYS} days")
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, ctx.scope, program_id)
    if key is None:
        raise AccessDenied("program outside scope")
    began = time.perf_counter()
    result = read_check.model_check(engine, key, start, end, ctx.today)
    seconds = time.perf_counter() - began
    where = (
        (MartModelCheck.program_key == key)
        & (MartModelCheck.computed_for == ctx.today)
        & (MartModelCheck.period_from == start)
        & (MartModelCheck.period_to == end)
    )
    with engine.begin() as conn:
        conn.execute(delete(MartModelCheck).where(where))
        conn.execute(
            insert(MartModelCheck).values(
                program_key=key,
                computed_for=ctx.today,
                period_from=start,
                period_to=end,
                computed_at=ctx.now,
                seconds=seconds,
                result=result,
            )
        )
        record(
            conn,
            action="view",
            actor=ctx.actor,
            route="outcomes:model-check",
            category="model_check",
            detail={"program_key": key, "from": start.isoformat(), "to": end.isoformat()},
        )
    return result

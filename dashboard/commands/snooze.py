"""Hold a client's flag until a date: the row moves to the bottom of Today until then."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from dashboard.auth.permissions import LOG_FOLLOWUP
from dashboard.commands.context import CommandContext, current_flag, require, scoped_client
from dashboard.commands.errors import InvalidInput
from dashboard.commands.validate import optional_text
from etl.audit import record
from etl.models import AppSnooze

MAX_SNOOZE_DAYS = 14
MAX_REASON = 200


def snooze_client(
    engine: Engine,
    ctx: CommandContext,
    *,
    client_id: str,
    until: dt.date,
    reason: str | None = None,
) -> int:
    require(ctx, LOG_FOLLOWUP)
    if not isinstance(until, dt.date):
        raise InvalidInput("until must be a date")
    if until < ctx.today or until > ctx.today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise InvalidInput(f"snooze until a date within {MAX_SNOOZE_DAYS} days")
    reason = (optional_text(reason, "reason") or "")[:MAX_REASON] or None
    with engine.begin() as conn:
        client_key = scoped_client(conn, ctx, client_id)
        flag = current_flag(conn, client_key, ctx.today)
        snooze_id = conn.execute(
            insert(AppSnooze)
            .values(
                client_key=client_key,
                user_id=ctx.scope.user_id,
                created_at=ctx.now,
                until_date=until,
                reason=reason,
                risk_date=flag.date if flag else None,
                risk_tier=flag.tier if flag else None,
            )
            .returning(AppSnooze.snooze_id)
        ).scalar_one()
        record(
            conn,
            action="snooze",
            actor=ctx.actor,
            route="today:snooze",
            client_keys=[client_key],
            category="followup",
            detail={
                "snooze_id": int(snooze_id),
                "until": until.isoformat(),
            },
        )
    return int(snooze_id)

"""Hold a client's flag until a date (the row moves to the bottom of Today until then), and
lift a snooze again.

A snooze must say why. A high or critical flag is held until tomorrow at most unless a contact
attempt answering it has been logged: a snooze must never quietly hide a client at risk whom
nobody has tried to reach.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select, update

from dashboard.auth.permissions import LOG_FOLLOWUP
from dashboard.commands.context import CommandContext, current_flag, require, scoped_client
from dashboard.commands.errors import InvalidInput
from dashboard.commands.validate import optional_text
from etl.audit import record
from etl.models import AppFollowup, AppSnooze

MAX_SNOOZE_DAYS = 14
MAX_REASON = 200
HIGH_TIERS = ("high", "critical")
UNCONTACTED_HIGH_DAYS = 1  # until tomorrow


def _contact_attempted(conn, client_key: int, flag_date: dt.date) -> bool:
    """Whether any contact (reached or not) answering the flag of ``flag_date`` is logged."""
    return (
        conn.execute(
            select(AppFollowup.followup_id)
            .where(AppFollowup.client_key == client_key, AppFollowup.risk_date == flag_date)
            .limit(1)
        ).first()
        is not None
    )


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
    reason = (optional_text(reason, "reason") or "").strip()[:MAX_REASON]
    if not reason:
        raise InvalidInput("say why the flag is snoozed")
    with engine.begin() as conn:
        client_key = scoped_client(conn, ctx, client_id)
        flag = current_flag(conn, client_key, ctx.today)
        latest = ctx.today + dt.timedelta(days=UNCONTACTED_HIGH_DAYS)
        if (
            flag is not None
            and flag.tier in HIGH_TIERS
            and until > latest
            and not _contact_attempted(conn, client_key, flag.date)
        ):
            raise InvalidInput(
                f"a {flag.tier} flag can be snoozed until tomorrow at most before a contact "
                "attempt is logged"
            )
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


def lift_snooze(engine: Engine, ctx: CommandContext, *, client_id: str) -> int:
    """Undo the client's running snoozes; returns how many were lifted (0: nothing to undo)."""
    require(ctx, LOG_FOLLOWUP)
    with engine.begin() as conn:
        client_key = scoped_client(conn, ctx, client_id)
        running = (
            conn.execute(
                select(AppSnooze.snooze_id).where(
                    AppSnooze.client_key == client_key,
                    AppSnooze.until_date >= ctx.today,
                    AppSnooze.lifted_at.is_(None),
                )
            )
            .scalars()
            .all()
        )
        if not running:
            raise InvalidInput("this client has no snooze to undo")
        conn.execute(
            update(AppSnooze)
            .where(AppSnooze.snooze_id.in_(running))
            .values(lifted_at=ctx.now, lifted_by=ctx.scope.user_id)
        )
        record(
            conn,
            action="unsnooze",
            actor=ctx.actor,
            route="today:unsnooze",
            client_keys=[client_key],
            category="followup",
            detail={"snooze_ids": [int(i) for i in running]},
        )
    return len(running)

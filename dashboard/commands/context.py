"""What every command needs to know about who is acting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from dashboard.commands.errors import AccessDenied
from dashboard.read.client import resolve_client
from dashboard.read.scope import Scope
from etl.audit import Actor
from etl.models import FctRiskScore


@dataclass(frozen=True)
class CommandContext:
    scope: Scope
    actor: Actor
    now: dt.datetime  # UTC, naive
    today: dt.date  # the program's local date


def require(ctx: CommandContext, permission: str) -> None:
    if permission not in ctx.scope.permissions:
        raise AccessDenied(f"missing {permission}")


def scoped_client(conn: Connection, ctx: CommandContext, client_id: str) -> int:
    key = resolve_client(conn, ctx.scope, client_id)
    if key is None:
        raise AccessDenied("client outside scope")
    return key


def current_flag(conn: Connection, client_key: int, today: dt.date):
    """The latest risk score on or before today: the flag a contact or snooze answers."""
    return conn.execute(
        select(FctRiskScore.date, FctRiskScore.score, FctRiskScore.tier)
        .where(FctRiskScore.client_key == client_key, FctRiskScore.date <= today)
        .order_by(FctRiskScore.date.desc())
        .limit(1)
    ).first()

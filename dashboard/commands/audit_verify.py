"""Run the audit chain's verification from the admin page: the same walk as
``caseload audit verify``, its outcome appended to the log."""

from __future__ import annotations

from sqlalchemy import Engine

from dashboard.auth.permissions import VIEW_AUDIT
from dashboard.commands.context import CommandContext, require
from etl.audit import Verification, verify_and_record


def run_verification(engine: Engine, ctx: CommandContext) -> Verification:
    require(ctx, VIEW_AUDIT)
    return verify_and_record(engine, ctx.actor, route="admin:audit:verify")

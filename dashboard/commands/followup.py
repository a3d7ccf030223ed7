"""Log a contact with a client (call, text, in person, video) and its outcome, linked to the
day's flag. The outcome is required: a contact saved without one could read as "reached"."""

from __future__ import annotations

from sqlalchemy import Engine, insert

from dashboard.auth.permissions import LOG_FOLLOWUP
from dashboard.commands.context import CommandContext, current_flag, require, scoped_client
from dashboard.commands.errors import InvalidInput
from dashboard.commands.validate import choice, optional_text
from etl.audit import record
from etl.models import AppFollowup

FOLLOWUP_METHODS = {"call": "Call", "text": "Text", "in_person": "In person", "video": "Video"}
FOLLOWUP_OUTCOMES = {
    "reached": "Reached",
    "no_answer": "No answer",
    "left_message": "Left a message",
    "wrong_number": "Wrong number",
    "declined": "Declined",
}
MAX_NOTE = 1000


def log_followup(
    engine: Engine,
    ctx: CommandContext,
    *,
    client_id: str,
    method: str,
    outcome: str | None,
    note: str | None,
    route: str = "today:log-contact",
) -> int:
    """Write the contact and its audit row together; return the follow-up id."""
    require(ctx, LOG_FOLLOWUP)
    method = choice(method, FOLLOWUP_METHODS, "contact method")
    if outcome is None:
        raise InvalidInput("choose an outcome")
    outcome = choice(outcome, FOLLOWUP_OUTCOMES, "outcome")
    note = optional_text(note, "note")
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"note longer than {MAX_NOTE} characters")
    with engine.begin() as conn:
        client_key = scoped_client(conn, ctx, client_id)
        flag = current_flag(conn, client_key, ctx.today)
        followup_id = conn.execute(
            insert(AppFollowup)
            .values(
                client_key=client_key,
                user_id=ctx.scope.user_id,
                contacted_at=ctx.now,
                method=method,
                outcome=outcome,
                note=note,
                risk_date=flag.date if flag else None,
                risk_score=flag.score if flag else None,
                risk_tier=flag.tier if flag else None,
            )
            .returning(AppFollowup.followup_id)
        ).scalar_one()
        record(
            conn,
            action="followup",
            actor=ctx.actor,
            route=route,
            client_keys=[client_key],
            category="followup",
            detail={
                "followup_id": int(followup_id),
                "method": method,
                "outcome": outcome,
                "has_note": note is not None,
            },
        )
    return int(followup_id)

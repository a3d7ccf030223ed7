"""The signed-in user's scope, local date and command context, for callbacks.

Callbacks run inside the request, so ``current_user`` is the user the guard let through;
nothing here trusts a value sent by the browser.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user

from dashboard.audit import actor_from_request
from dashboard.commands.context import CommandContext
from dashboard.read.scope import Scope
from etl.settings import get_settings
from etl.vocabulary import utcnow


def current_scope() -> Scope:
    return Scope.for_user(current_user)


def user_time_zone() -> str:
    return getattr(current_user, "time_zone", None) or get_settings().default_time_zone


def program_today() -> dt.date:
    """Today in the program's time zone (tests may pin it with CASELOAD_TODAY)."""
    pinned = current_app.config.get("CASELOAD_TODAY")
    if pinned:
        return dt.date.fromisoformat(str(pinned))
    return dt.datetime.now(ZoneInfo(user_time_zone())).date()


def command_context() -> CommandContext:
    return CommandContext(
        scope=current_scope(), actor=actor_from_request(), now=utcnow(), today=program_today()
    )

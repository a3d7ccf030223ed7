"""Audit events from the web app: who (user, role, program, hashed session), from where, what.

Commands write their audit row inside their own transaction (etl.audit.record with
``actor_from_request()``); views and denials that change nothing write a row of their own with
``audit_event``. Rows carry client surrogate keys and route names, never PHI values.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from flask import has_request_context, request, session
from flask_login import current_user

from dashboard.db import db
from etl.audit import Actor
from etl.audit_queue import submit

log = logging.getLogger(__name__)


def session_ref() -> str | None:
    """A stable, non-reversible reference to this login session (not the cookie itself)."""
    sid = session.get("sid") if has_request_context() else None
    return hashlib.sha256(sid.encode()).hexdigest()[:32] if sid else None


def actor_from_request(username: str | None = None, user_id: int | None = None) -> Actor:
    user = current_user if has_request_context() else None
    address = request.remote_addr if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return Actor(
            user_id=user.user_id,
            username=user.username,
            role=user.role,
            program_key=user.program_key,
            session_ref=session_ref(),
            source_address=address,
        )
    return Actor(user_id=user_id, username=username, source_address=address)


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def current_route() -> str | None:
    """The path, or the callback's output for Dash. Both come from the request (a refused
    callback's output is whatever the sender wrote), so only printable ASCII is kept: no line
    breaks to forge entries in the application log."""
    if not has_request_context():
        return None
    if request.path == "/_dash-update-component":
        body = request.get_json(silent=True)
        output = body.get("output", "") if isinstance(body, dict) else ""
        route = f"callback:{str(output)[:150]}"
    else:
        route = request.path[:200]
    return _UNPRINTABLE.sub("?", route)


def submit_event(
    action: str,
    *,
    outcome: str = "success",
    client_keys: Sequence[int] | None = None,
    category: str | None = None,
    detail: dict[str, Any] | None = None,
    route: str | None = None,
    username: str | None = None,
    user_id: int | None = None,
) -> Future:
    """Queue one audit row, committed on the appender's thread while the caller goes on
    (batched with the rows other requests write at the same moment: ``etl.audit_queue``);
    ``result()`` on the future waits for the commit, or raises why it failed."""
    return submit(
        db.engine,
        action=action,
        actor=actor_from_request(username, user_id),
        outcome=outcome,
        route=route or current_route(),
        client_keys=client_keys,
        category=category,
        detail=detail,
    )


def audit_event(action: str, **fields: Any) -> None:
    """Write one audit row (fields as for ``submit_event``), committed before this returns."""
    submit_event(action, **fields).result()


def audit_denied(
    *, reason: str, client_keys: Sequence[int] | None = None, detail: dict | None = None
) -> None:
    """Record a refused request; the application log gets the fact, never the PHI."""
    log.warning("access denied: %s (route %s)", reason, current_route())
    audit_event(
        "denied",
        outcome="denied",
        client_keys=client_keys,
        category="access",
        detail={"reason": reason, **(detail or {})},
    )

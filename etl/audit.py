"""The append-only access audit log, as a hash chain.

Every view of a client's record, every export, login, failed login and denied request is one
row. Each row stores the hash of the row before it, so editing or deleting any row breaks the
chain from that point on and ``verify_chain`` finds it (45 CFR 170.315(d)(2): alteration must be
detectable). Rows never carry PHI values: client surrogate keys, counts and route names only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from etl.models import AppAuditLog

GENESIS = "0" * 64
ACTIONS = frozenset(
    {
        "view",
        "export",
        "login",
        "login_failed",
        "logout",
        "denied",
        "user_changed",
        "followup",
        "snooze",
        "unsnooze",
    }
)

# Column widths (etl.models.AppAuditLog) and the longest text kept in ``detail``: values that
# came from a request are cut to size here, so a forged input can neither bloat the log nor make
# the insert fail on PostgreSQL (and with it the action it records).
_WIDTHS = {
    "username": 64,
    "role": 20,
    "session_ref": 64,
    "source_address": 64,
    "route": 200,
    "category": 64,
}
MAX_DETAIL_TEXT = 200

# A fixed lock id: PostgreSQL writers take it for the length of their transaction so that two
# concurrent appends cannot both chain onto the same previous row.
_PG_LOCK_ID = 7_311_042


@dataclass(frozen=True)
class Actor:
    """Who did it and from where; ``system`` stands for the command line."""

    user_id: int | None = None
    username: str | None = "system"
    role: str | None = None
    program_key: int | None = None
    session_ref: str | None = None
    source_address: str | None = None


def _row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _hashed_fields(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "occurred_at",
        "user_id",
        "username",
        "role",
        "program_key",
        "session_ref",
        "source_address",
        "action",
        "route",
        "client_keys",
        "category",
        "outcome",
        "detail",
    )
    out = {k: row.get(k) for k in keys}
    if isinstance(out["occurred_at"], dt.datetime):
        out["occurred_at"] = out["occurred_at"].replace(microsecond=0).isoformat()
    return out


def _bounded(value: Any) -> Any:
    """``detail`` with every string (keys included) cut to ``MAX_DETAIL_TEXT`` characters."""
    if isinstance(value, str):
        return value[:MAX_DETAIL_TEXT]
    if isinstance(value, dict):
        return {str(k)[:MAX_DETAIL_TEXT]: _bounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(v) for v in value]
    return value


def record(
    conn: Connection,
    *,
    action: str,
    actor: Actor,
    outcome: str = "success",
    route: str | None = None,
    client_keys: Sequence[int] | None = None,
    category: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one event inside the caller's transaction and return its id.

    Writing in the caller's transaction means an export or a follow-up and its audit row commit
    or roll back together.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    elif conn.dialect.name == "sqlite":
        # pysqlite runs a SELECT outside any transaction until the first write; this no-op
        # write takes SQLite's writer lock first, so the previous hash read below is still the
        # last row when ours is inserted.
        conn.execute(text("UPDATE app_audit_log SET event_id = event_id WHERE 0"))
    prev = conn.execute(
        select(AppAuditLog.row_hash).order_by(AppAuditLog.event_id.desc()).limit(1)
    ).scalar()
    row = {
        "occurred_at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "program_key": actor.program_key,
        "session_ref": actor.session_ref,
        "source_address": actor.source_address,
        "action": action,
        "route": route,
        "client_keys": sorted({int(k) for k in client_keys}) if client_keys else None,
        "category": category,
        "outcome": outcome,
        "detail": _bounded(detail) if detail is not None else None,
    }
    for column, width in _WIDTHS.items():
        if isinstance(row[column], str):
            row[column] = row[column][:width]
    prev_hash = prev or GENESIS
    row["prev_hash"] = prev_hash
    row["row_hash"] = _row_hash(prev_hash, _hashed_fields(row))
    result = conn.execute(AppAuditLog.__table__.insert().returning(AppAuditLog.event_id), row)
    return int(result.scalar_one())


def verify_chain(bind: Engine | Connection) -> int | None:
    """Return the id of the first event whose hash does not match, or None if intact."""

    def _check(conn: Connection) -> int | None:
        expected_prev = GENESIS
        rows: Iterable = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id))
        for r in rows.mappings():
            fields = _hashed_fields(dict(r))
            if r["prev_hash"] != expected_prev or r["row_hash"] != _row_hash(
                r["prev_hash"], fields
            ):
                return int(r["event_id"])
            expected_prev = r["row_hash"]
        return None

    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _check(conn)
    return _check(bind)

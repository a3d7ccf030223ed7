"""The append-only access audit log, as a keyed MAC chain.

Every view of a client's record, every export, login, failed login and denied request is one
row. Each row's link is HMAC-SHA256, under ``CASELOAD_AUDIT_KEY``, of its id, its content and
the previous row's link. A plain hash chain can be recomputed by whoever can write the table;
without the key, which lives in the environment and never in the database, nobody can forge a
link, so an edited, inserted, deleted or reordered row is found by ``verify`` (45 CFR
170.315(d)(2): alteration must be detectable). A cut tail leaves a valid shorter chain, which
is why ``head()`` is published elsewhere and ``verify(head=...)`` checks it is still there.
Ids are assigned under the append lock, one after the other, so a gap is a deleted row.
Rows never carry PHI values: client surrogate keys, counts and route names only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
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
        "audit_verify",
        "ingest_retry",
    }
)

KEY_ENV = "CASELOAD_AUDIT_KEY"
# Development and tests only: production refuses to start without its own key (``audit_key``).
DEV_AUDIT_KEY = "caseload-DEVELOPMENT-ONLY-audit-key-never-use-in-production"
MIN_KEY_LENGTH = 32


class AuditKeyError(RuntimeError):
    """No usable audit key for this environment (production without CASELOAD_AUDIT_KEY)."""


def audit_key(production: bool | None = None) -> bytes:
    """The MAC key: ``CASELOAD_AUDIT_KEY``, required (32+ characters) in production
    (``CASELOAD_ENV=production`` unless told)."""
    value = os.environ.get(KEY_ENV) or ""
    if production is None:
        production = os.environ.get("CASELOAD_ENV", "development").lower() == "production"
    if not value:
        if production:
            raise AuditKeyError(f"{KEY_ENV} is not set: refusing to write the audit log")
        value = DEV_AUDIT_KEY
    elif production and len(value) < MIN_KEY_LENGTH:
        raise AuditKeyError(f"{KEY_ENV} must be at least {MIN_KEY_LENGTH} characters")
    return value.encode()


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


def _row_hash(key: bytes, event_id: int, prev_hash: str, fields: dict[str, Any]) -> str:
    """The row's link: its id (so rows cannot swap places), the previous link and the content."""
    payload = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    message = f"{event_id}|{prev_hash}|{payload}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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


def event_row(
    *,
    action: str,
    actor: Actor,
    outcome: str = "success",
    route: str | None = None,
    client_keys: Sequence[int] | None = None,
    category: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One event's content, cut to the columns' widths, not yet placed in the chain."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
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
    return row


def append_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain ``rows`` (from ``event_row``) onto the log in the caller's transaction, under the
    chain's lock (held until that transaction ends), and return them chained."""
    key = audit_key()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    elif conn.dialect.name == "sqlite":
        # pysqlite runs a SELECT outside any transaction until the first write; this no-op
        # write takes SQLite's writer lock first, so the previous hash read below is still the
        # last row when ours is inserted.
        conn.execute(text("UPDATE app_audit_log SET event_id = event_id WHERE 0"))
    last = conn.execute(
        select(AppAuditLog.event_id, AppAuditLog.row_hash)
        .order_by(AppAuditLog.event_id.desc())
        .limit(1)
    ).first()
    event_id, prev_hash = (last.event_id, last.row_hash) if last else (0, GENESIS)
    chained = []
    for content in rows:
        event_id += 1
        row = {**content, "event_id": event_id, "prev_hash": prev_hash}
        row["row_hash"] = prev_hash = _row_hash(key, event_id, prev_hash, _hashed_fields(row))
        chained.append(row)
    conn.execute(AppAuditLog.__table__.insert(), chained)
    return chained


def record(conn: Connection, **event: Any) -> int:
    """Append one event inside the caller's transaction and return its id (arguments as for
    ``event_row``).

    Writing in the caller's transaction means an export or a follow-up and its audit row commit
    or roll back together. Rows that stand alone (page views, denials) go through
    ``etl.audit_queue`` instead, which chains many in one transaction.
    """
    return int(append_rows(conn, [event_row(**event)])[0]["event_id"])


@dataclass(frozen=True)
class Verification:
    """What a walk of the chain found: ``first_bad`` is None when every row checked out."""

    checked: int
    first_bad: int | None = None
    problem: str | None = None
    last_id: int | None = None
    last_mac: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None and self.problem is None

    def message(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} rows checked, head {self.last_id}"
        where = f"event {self.first_bad}: " if self.first_bad is not None else ""
        return f"audit log NOT intact: {where}{self.problem} ({self.checked} rows checked)"


def parse_head(value: str) -> tuple[int, str]:
    """``ID:MAC`` as printed by ``caseload audit head``."""
    event_id, _, mac = value.partition(":")
    if not event_id.isdigit() or len(mac) != 64:
        raise ValueError("head must be ID:MAC as printed by 'caseload audit head'")
    return int(event_id), mac.lower()


def head(conn: Connection) -> tuple[int, str] | None:
    """The newest row's id and link, to publish outside the database."""
    row = conn.execute(
        select(AppAuditLog.event_id, AppAuditLog.row_hash)
        .order_by(AppAuditLog.event_id.desc())
        .limit(1)
    ).first()
    return (int(row.event_id), row.row_hash) if row else None


def _walk(
    conn: Connection, key: bytes, since: dt.date | None, published: tuple[int, str] | None
) -> Verification:
    query = select(AppAuditLog).order_by(AppAuditLog.event_id)
    expected_prev, expected_id = GENESIS, 1
    if since is not None:
        start = dt.datetime.combine(since, dt.time())
        first = conn.execute(
            select(AppAuditLog.event_id)
            .where(AppAuditLog.occurred_at >= start)
            .order_by(AppAuditLog.event_id)
            .limit(1)
        ).scalar()
        if first is not None:
            before = conn.execute(
                select(AppAuditLog.event_id, AppAuditLog.row_hash)
                .where(AppAuditLog.event_id < first)
                .order_by(AppAuditLog.event_id.desc())
                .limit(1)
            ).first()
            # The row before the window anchors it; its own content is not checked here.
            if before is not None:
                expected_prev, expected_id = before.row_hash, before.event_id + 1
            query = query.where(AppAuditLog.event_id >= first)
        else:
            query = query.where(False)
    checked, seen_head, last_id, last_mac = 0, False, None, None
    for r in conn.execute(query.execution_options(yield_per=2000)).mappings():
        event_id = int(r["event_id"])
        if event_id != expected_id:
            if event_id < expected_id:
                problem = f"out of order after event {expected_id - 1}"
            else:
                problem = f"rows {expected_id}..{event_id - 1} are missing (deleted)"
            return Verification(checked, event_id, problem, last_id, last_mac)
        if r["prev_hash"] != expected_prev:
            problem = "link to the previous row is wrong (row inserted, deleted or reordered)"
            return Verification(checked, event_id, problem, last_id, last_mac)
        if not hmac.compare_digest(
            r["row_hash"], _row_hash(key, event_id, r["prev_hash"], _hashed_fields(dict(r)))
        ):
            problem = "content does not match its MAC (edited, or not written with this key)"
            return Verification(checked, event_id, problem, last_id, last_mac)
        if published is not None and event_id == published[0]:
            if not hmac.compare_digest(r["row_hash"], published[1]):
                problem = "does not match the published head"
                return Verification(checked, event_id, problem, last_id, last_mac)
            seen_head = True
        checked += 1
        expected_prev, expected_id = r["row_hash"], event_id + 1
        last_id, last_mac = event_id, r["row_hash"]
    if published is not None and not seen_head:
        problem = (
            f"published head event {published[0]} is gone: the log was cut after event {last_id}"
        )
        return Verification(checked, None, problem, last_id, last_mac)
    return Verification(checked, None, None, last_id, last_mac)


def verify(
    bind: Engine | Connection,
    *,
    since: dt.date | None = None,
    published_head: tuple[int, str] | None = None,
    key: bytes | None = None,
) -> Verification:
    """Walk the chain (from the first row on ``since`` when given) and report the first row
    whose position, link or content is wrong, and whether ``published_head`` is still in it."""
    key = key if key is not None else audit_key()
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _walk(conn, key, since, published_head)
    return _walk(bind, key, since, published_head)


def verify_chain(bind: Engine | Connection) -> int | None:
    """The id of the first event that fails verification, or None if intact."""
    result = verify(bind)
    return result.first_bad if not result.ok else None


def verify_and_record(
    engine: Engine,
    actor: Actor,
    *,
    since: dt.date | None = None,
    published_head: tuple[int, str] | None = None,
    route: str | None = None,
) -> Verification:
    """Verify, then append the outcome as an ``audit_verify`` row: the last verification the
    admin page shows is itself in the chain. The command line and the page both call this."""
    result = verify(engine, since=since, published_head=published_head)
    with engine.begin() as conn:
        record(
            conn,
            action="audit_verify",
            actor=actor,
            outcome="success" if result.ok else "failure",
            route=route,
            category="audit",
            detail={
                "ok": result.ok,
                "checked": result.checked,
                "first_bad": result.first_bad,
                "problem": result.problem,
                "since": since.isoformat() if since else None,
                "head": published_head[0] if published_head else None,
            },
        )
    return result

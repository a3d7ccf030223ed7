"""The audit log as an admin reads it: filtered, one page at a time, newest first, and the
last verification of its chain. Read-only: nothing here (or anywhere) edits an audit row.

The client filter takes the pseudonymous client key the rows carry, never a name: the log holds
no PHI to search by, and an admin reads no client records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Select, String, cast, func, or_, select

from etl.audit import ACTIONS
from etl.models import AppAuditLog

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 100_000
OUTCOMES = ("success", "denied", "failure")
COLUMNS = (
    "event_id",
    "occurred_at",
    "username",
    "role",
    "program_key",
    "action",
    "outcome",
    "category",
    "route",
    "client_keys",
    "source_address",
    "session_ref",
    "detail",
)


@dataclass(frozen=True)
class Filters:
    username: str | None = None
    client_key: int | None = None
    action: str | None = None
    outcome: str | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None

    def as_detail(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in vars(self).items()}


def _filtered(stmt: Select, f: Filters) -> Select:
    if f.username:
        stmt = stmt.where(AppAuditLog.username == f.username)
    if f.client_key is not None:
        text = cast(AppAuditLog.client_keys, String)
        k = str(int(f.client_key))
        stmt = stmt.where(
            or_(*(text.like(p) for p in (f"%[{k}]%", f"%[{k},%", f"% {k},%", f"% {k}]%")))
        )
    if f.action in ACTIONS:
        stmt = stmt.where(AppAuditLog.action == f.action)
    if f.outcome in OUTCOMES:
        stmt = stmt.where(AppAuditLog.outcome == f.outcome)
    if f.day_from:
        stmt = stmt.where(AppAuditLog.occurred_at >= dt.datetime.combine(f.day_from, dt.time()))
    if f.day_to:
        end = dt.datetime.combine(f.day_to + dt.timedelta(days=1), dt.time())
        stmt = stmt.where(AppAuditLog.occurred_at < end)
    return stmt


def _row(r) -> dict:
    out = {c: getattr(r, c) for c in COLUMNS}
    out["occurred_at"] = r.occurred_at.isoformat(sep=" ", timespec="seconds")
    out["client_keys"] = " ".join(str(k) for k in (r.client_keys or []))
    out["detail"] = "" if r.detail is None else _compact(r.detail)
    return out


def _compact(detail) -> str:
    import json

    return json.dumps(detail, sort_keys=True, separators=(",", ":"))[:300]


def page(conn: Connection, f: Filters, page_no: int) -> tuple[list[dict], int]:
    """One page (0-based) of the filtered rows, newest first, and how many match in all."""
    total = conn.execute(_filtered(select(func.count()).select_from(AppAuditLog), f)).scalar_one()
    stmt = (
        _filtered(select(*AppAuditLog.__table__.columns), f)
        .order_by(AppAuditLog.event_id.desc())
        .offset(max(0, page_no) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return [_row(r) for r in conn.execute(stmt)], int(total)


def export_rows(conn: Connection, f: Filters) -> Iterator[dict]:
    """Every filtered row (at most ``MAX_EXPORT_ROWS``), oldest first, for the CSV."""
    stmt = (
        _filtered(select(*AppAuditLog.__table__.columns), f)
        .order_by(AppAuditLog.event_id)
        .limit(MAX_EXPORT_ROWS)
    )
    for r in conn.execute(stmt.execution_options(yield_per=5000)):
        yield _row(r)


def last_verification(conn: Connection) -> dict | None:
    r = conn.execute(
        select(AppAuditLog.occurred_at, AppAuditLog.username, AppAuditLog.detail)
        .where(AppAuditLog.action == "audit_verify")
        .order_by(AppAuditLog.event_id.desc())
        .limit(1)
    ).first()
    if r is None:
        return None
    return {"at": r.occurred_at, "by": r.username, **(r.detail or {})}

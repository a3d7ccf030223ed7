"""The logins an administrator manages, and the staff records and programs a login can be
bound to. Staff and program names are the organisation's, not clients': no PHI here.

Caseload has no hard lock-out (a stranger could lock anyone out): an account with many failed
sign-ins in the current window has its sign-ins delayed instead. The login throttle stores only
keyed hashes of names, so the caller passes the function that turns a username into its
account key (``dashboard.auth.throttle``), and the listing says which logins are being delayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Connection, func, select

from dashboard.auth.permissions import MANAGE_USERS
from dashboard.read.scope import Scope
from etl.models import AppLoginThrottle, AppUser, DimProgram, DimStaff


def users(
    conn: Connection,
    scope: Scope,
    *,
    account_key: Callable[[str], str],
    window_since: dt.datetime,
    delayed_after: int,
) -> list[dict]:
    """Every login, by username, with what it is bound to and its state (nothing without
    ``manage_users``)."""
    if MANAGE_USERS not in scope.permissions:
        return []
    program_key = func.coalesce(DimStaff.program_key, AppUser.program_key)
    rows = conn.execute(
        select(
            AppUser.user_id,
            AppUser.username,
            AppUser.role,
            AppUser.is_active,
            AppUser.must_change_password,
            AppUser.last_login_at,
            AppUser.created_at,
            DimStaff.staff_id,
            DimStaff.first_name,
            DimStaff.last_name,
            DimProgram.program_id,
            DimProgram.name.label("program_name"),
        )
        .outerjoin(DimStaff, DimStaff.staff_key == AppUser.staff_key)
        .outerjoin(DimProgram, DimProgram.program_key == program_key)
        .order_by(AppUser.username)
    ).mappings()
    rows = [dict(r) for r in rows]
    keys = {account_key(r["username"]): r["username"] for r in rows}
    failures = {
        keys[key]: attempts
        for key, attempts in conn.execute(
            select(AppLoginThrottle.throttle_key, AppLoginThrottle.attempts).where(
                AppLoginThrottle.throttle_key.in_(list(keys)),
                AppLoginThrottle.window_started_at >= window_since,
            )
        )
    }
    out = []
    for r in rows:
        failed = failures.get(r["username"], 0)
        state = "Active" if r["is_active"] else "Disabled"
        if r["is_active"] and r["must_change_password"]:
            state = "Active · temporary password"
        if r["is_active"] and failed >= delayed_after:
            state += f" · sign-in delayed ({failed} failed)"
        staff_name = " ".join(p for p in (r["first_name"], r["last_name"]) if p)
        out.append(
            {
                "user_id": int(r["user_id"]),
                "username": r["username"],
                "role": r["role"],
                "program_id": r["program_id"],
                "program": r["program_name"] or "",
                "staff_id": r["staff_id"],
                "staff": f"{staff_name} ({r['staff_id']})" if r["staff_id"] else "",
                "last_login": r["last_login_at"].isoformat(sep=" ", timespec="minutes")
                if r["last_login_at"]
                else None,
                "last_login_text": r["last_login_at"].strftime("%b %-d, %Y %H:%M UTC")
                if r["last_login_at"]
                else "never",
                "is_active": bool(r["is_active"]),
                "state": state,
            }
        )
    return out


def programs(conn: Connection) -> list[dict]:
    return [
        {"label": f"{name} ({pid})", "value": pid}
        for pid, name in conn.execute(
            select(DimProgram.program_id, DimProgram.name).order_by(DimProgram.name)
        )
    ]


def staff(conn: Connection) -> list[dict]:
    """Staff records a login may belong to, with role and program in the label."""
    rows = conn.execute(
        select(
            DimStaff.staff_id,
            DimStaff.first_name,
            DimStaff.last_name,
            DimStaff.role,
            DimProgram.program_id,
        )
        .join(DimProgram, DimProgram.program_key == DimStaff.program_key)
        .order_by(DimProgram.program_id, DimStaff.last_name, DimStaff.first_name)
    )
    return [
        {
            "label": f"{r.first_name or ''} {r.last_name or ''}".strip()
            + f" · {r.role} · {r.program_id} ({r.staff_id})",
            "value": r.staff_id,
        }
        for r in rows
    ]

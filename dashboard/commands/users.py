"""Dashboard logins: add, disable, re-enable, reset a password, change role or program, and
a user's own password change. ``caseload users`` and the ``/admin/users`` page call these same
functions, so both make the same rows and the same audit rows.

Each function works inside the caller's transaction (``conn``) and writes its ``user_changed``
audit row in it: the CLI opens one with ``engine.begin()``, the page through ``admin_command``,
which also checks ``manage_users``. A change to someone's rights (disable, role, program, staff
record, password) bumps their session epoch, so their open sessions end at their next request.

The last active administrator can be neither disabled nor demoted: the active admins' rows are
locked first (``FOR UPDATE`` on PostgreSQL; SQLite has one writer), the change is made, and the
count is checked after it, so two administrators removing each other at once cannot both win.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from dashboard.auth.passwords import check_password_policy, hash_password, verify_or_burn
from dashboard.auth.permissions import MANAGE_USERS, ROLES
from dashboard.commands.context import CommandContext, require
from dashboard.commands.errors import InvalidInput
from etl.audit import Actor, record
from etl.models import AppUser, DimProgram, DimStaff

SYSTEM = Actor(username="system:cli")
ADMIN = "admin"
# Temporary passwords: 4 groups of 4 from an alphabet without look-alikes (0/O, 1/l/I),
# about 95 bits; long enough for the policy, easy to read out over the phone.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LAST_ADMIN = "cannot remove the last active administrator: make another login an admin first"


class UserError(InvalidInput):
    """A change refused with a message for whoever asked (the CLI prints it, the page shows
    it). It names logins and rules, never a password."""


@dataclass(frozen=True)
class NewLogin:
    user_id: int
    username: str
    # Set when Caseload chose the password: shown once, to be changed at first sign-in.
    temporary_password: str | None


def temporary_password() -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _policy(password: str) -> None:
    try:
        check_password_policy(password)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def _binding(
    conn: Connection, role: str, staff_id: str | None, program_id: str | None
) -> tuple[int | None, int | None]:
    """The staff and program keys a login of ``role`` is bound to. Counselors must be tied to
    a staff record (their caseload); supervisors to a program (through their staff record or
    ``program_id``, which wins when both are given)."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    staff_key = program_key = None
    if staff_id:
        staff = conn.execute(
            select(DimStaff.staff_key, DimStaff.program_key).where(DimStaff.staff_id == staff_id)
        ).first()
        if staff is None:
            raise UserError(f"no staff member with id {staff_id!r} in the warehouse")
        staff_key, program_key = staff.staff_key, staff.program_key
    if program_id:
        program_key = conn.execute(
            select(DimProgram.program_key).where(DimProgram.program_id == program_id)
        ).scalar()
        if program_key is None:
            raise UserError(f"no program with id {program_id!r}")
    if role == "counselor" and staff_key is None:
        raise UserError("a counselor login needs a staff record (--staff-id): it is the caseload")
    if role == "supervisor" and program_key is None:
        raise UserError("a supervisor login needs a staff record or a program (--program-id)")
    return staff_key, program_key


def _audit(conn: Connection, actor: Actor, change: str, user_id: int, **detail: Any) -> None:
    record(
        conn,
        action="user_changed",
        actor=actor,
        category="user",
        detail={"change": change, "user_id": int(user_id), **detail},
    )


def _user(conn: Connection, username: str):
    name = str(username).strip().lower()
    row = conn.execute(
        select(AppUser.user_id, AppUser.username, AppUser.role, AppUser.is_active).where(
            AppUser.username == name
        )
    ).first()
    if row is None:
        raise UserError(f"no user {name!r}")
    return row


def _lock_admins(conn: Connection) -> None:
    conn.execute(
        select(AppUser.user_id)
        .where(AppUser.role == ADMIN, AppUser.is_active.is_(True))
        .with_for_update()
    ).all()


def _keep_an_admin(conn: Connection, user) -> None:
    """Refuse (the transaction rolls back) when ``user`` was an active admin and none is
    left after the change."""
    if not (user.role == ADMIN and user.is_active):
        return
    active = conn.execute(
        select(func.count())
        .select_from(AppUser)
        .where(AppUser.role == ADMIN, AppUser.is_active.is_(True))
    ).scalar_one()
    if active == 0:
        raise UserError(LAST_ADMIN)


def create_user(
    conn: Connection,
    *,
    username: str,
    role: str,
    password: str | None = None,
    staff_id: str | None = None,
    program_id: str | None = None,
    actor: Actor = SYSTEM,
) -> NewLogin:
    """Insert a login. Without ``password`` Caseload picks a temporary one (returned once) that
    must be changed at the first sign-in."""
    username = str(username).strip().lower()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise UserError("username must be 1-64 characters without spaces")
    staff_key, program_key = _binding(conn, role, staff_id, program_id)
    temporary = None
    if password is None:
        password = temporary = temporary_password()
    _policy(password)
    if conn.execute(select(AppUser.user_id).where(AppUser.username == username)).first():
        raise UserError(f"user {username!r} already exists")
    user_id = conn.execute(
        insert(AppUser)
        .values(
            username=username,
            password_hash=hash_password(password),
            role=role,
            staff_key=staff_key,
            program_key=program_key,
            is_active=True,
            session_epoch=0,
            created_at=_now(),
            must_change_password=temporary is not None,
        )
        .returning(AppUser.user_id)
    ).scalar_one()
    _audit(conn, actor, "added", user_id, role=role)
    return NewLogin(int(user_id), username, temporary)


def _change(conn: Connection, actor: Actor, user_id: int, change: str, **values: Any) -> None:
    conn.execute(
        update(AppUser)
        .where(AppUser.user_id == user_id)
        .values(session_epoch=AppUser.session_epoch + 1, **values)
    )
    _audit(conn, actor, change, user_id)


def set_password(
    conn: Connection, username: str, password: str | None = None, *, actor: Actor = SYSTEM
) -> str | None:
    """An administrator's reset. Without ``password``: a temporary one, returned once, that
    must be changed at the next sign-in. Ends the user's sessions either way."""
    user = _user(conn, username)
    temporary = None
    if password is None:
        password = temporary = temporary_password()
    _policy(password)
    _change(
        conn,
        actor,
        user.user_id,
        "password_reset",
        password_hash=hash_password(password),
        must_change_password=temporary is not None,
    )
    return temporary


def disable_user(conn: Connection, username: str, *, actor: Actor = SYSTEM) -> None:
    user = _user(conn, username)
    _lock_admins(conn)
    _change(conn, actor, user.user_id, "disabled", is_active=False)
    _keep_an_admin(conn, user)


def enable_user(conn: Connection, username: str, *, actor: Actor = SYSTEM) -> None:
    user = _user(conn, username)
    if user.is_active:
        raise UserError(f"user {user.username!r} is already active")
    _change(conn, actor, user.user_id, "enabled", is_active=True)


def change_access(
    conn: Connection,
    username: str,
    *,
    role: str,
    staff_id: str | None = None,
    program_id: str | None = None,
    actor: Actor = SYSTEM,
) -> None:
    """Set the login's role and what it is bound to (staff record, program), as on ``add``."""
    user = _user(conn, username)
    staff_key, program_key = _binding(conn, role, staff_id, program_id)
    _lock_admins(conn)
    conn.execute(
        update(AppUser)
        .where(AppUser.user_id == user.user_id)
        .values(
            role=role,
            staff_key=staff_key,
            program_key=program_key,
            session_epoch=AppUser.session_epoch + 1,
        )
    )
    _audit(conn, actor, "access_changed", user.user_id, role=role, previous_role=user.role)
    _keep_an_admin(conn, user)


def change_own_password(
    conn: Connection, *, user_id: int, current: str, new: str, repeated: str, actor: Actor
) -> int:
    """The signed-in user's own change: the current password, then the new one twice, under
    the same policy as every other password. Returns the new session epoch, so the caller can
    keep its own session signed in while every other copy of the old cookie ends.

    A wrong current password is refused with an audit row of its own, written even though
    nothing else changes (the caller commits it): guesses through this form are on record."""
    row = conn.execute(
        select(AppUser.password_hash).where(AppUser.user_id == user_id, AppUser.is_active)
    ).first()
    if row is None or not verify_or_burn(row.password_hash, current or ""):
        record(
            conn,
            action="user_changed",
            actor=actor,
            outcome="denied",
            category="user",
            detail={"change": "own_password", "user_id": int(user_id), "reason": "bad password"},
        )
        raise WrongPassword("the current password is not right")
    if new != repeated:
        raise UserError("the new password and its repetition differ")
    if new == current:
        raise UserError("the new password must differ from the current one")
    _policy(new)
    _change(
        conn,
        actor,
        user_id,
        "own_password",
        password_hash=hash_password(new),
        must_change_password=False,
    )
    return int(
        conn.execute(select(AppUser.session_epoch).where(AppUser.user_id == user_id)).scalar_one()
    )


class WrongPassword(UserError):
    """The current password did not verify; its audit row must be kept (commit, do not roll
    back)."""


def admin_command(change: Callable[..., Any]) -> Callable[..., Any]:
    """The page's entry to one of the changes above: the caller must hold ``manage_users``;
    one transaction, audited as the signed-in administrator."""

    def command(engine: Engine, ctx: CommandContext, **kwargs: Any) -> Any:
        require(ctx, MANAGE_USERS)
        with engine.begin() as conn:
            return change(conn, actor=ctx.actor, **kwargs)

    command.__name__ = change.__name__
    command.__doc__ = change.__doc__
    return command


def own_password_command(engine: Engine, ctx: CommandContext, **kwargs: Any) -> int:
    """``change_own_password`` for the signed-in user in one transaction; a wrong current
    password commits its audit row before the refusal is raised."""
    with engine.connect() as conn:
        try:
            epoch = change_own_password(conn, user_id=ctx.scope.user_id, actor=ctx.actor, **kwargs)
        except WrongPassword:
            conn.commit()
            raise
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    return epoch

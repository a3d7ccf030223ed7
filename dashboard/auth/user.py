"""The signed-in user as the app sees it, and how a session cookie is turned back into one.

The session stores ``"<user_id>:<session_epoch>"`` as Flask-Login's id. Every request reloads
the user and compares the epoch with the database: logout, a password reset or disabling the
account bumps the epoch, so every copy of an older cookie stops working at once.

A login tied to a staff member follows that staff record as the roster has it today: a
supervisor moved to another program sees the new program only, and one the roster no longer
lists as a supervisor keeps a counselor's view (their own caseload) until an administrator
changes the login. Access never outlives the roster that granted it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import Connection, bindparam, func, select

from dashboard.auth.permissions import permissions_for
from etl.models import AppUser, DimProgram, DimStaff


@dataclass(frozen=True)
class CurrentUser(UserMixin):
    user_id: int
    username: str
    role: str
    staff_key: int | None
    program_key: int | None
    session_epoch: int
    display_name: str
    program_name: str | None
    time_zone: str | None
    # A temporary password from an administrator's reset: only /account until it is changed.
    must_change_password: bool = False

    def get_id(self) -> str:
        return f"{self.user_id}:{self.session_epoch}"

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_for(self.role)


def parse_session_id(value: str) -> tuple[int, int] | None:
    try:
        user_id, epoch = value.split(":", 1)
        return int(user_id), int(epoch)
    except (ValueError, AttributeError):
        return None


def _user_statement(check_epoch: bool):
    program_key = func.coalesce(DimStaff.program_key, AppUser.program_key)
    stmt = (
        select(
            AppUser.user_id,
            AppUser.username,
            AppUser.role,
            AppUser.staff_key,
            program_key.label("program_key"),
            AppUser.session_epoch,
            AppUser.must_change_password,
            DimStaff.role.label("staff_role"),
            DimStaff.first_name,
            DimStaff.last_name,
            DimProgram.name.label("program_name"),
            DimProgram.time_zone,
        )
        .outerjoin(DimStaff, DimStaff.staff_key == AppUser.staff_key)
        .outerjoin(DimProgram, DimProgram.program_key == program_key)
        .where(AppUser.user_id == bindparam("user_id"), AppUser.is_active.is_(True))
    )
    return stmt.where(AppUser.session_epoch == bindparam("epoch")) if check_epoch else stmt


# Built once: every request loads its user, and building the statement cost as much as
# running it.
_BY_ID = _user_statement(check_epoch=False)
_BY_SESSION = _user_statement(check_epoch=True)


def load_current_user(conn: Connection, user_id: int, epoch: int | None) -> CurrentUser | None:
    """The active user with this id (and this session epoch, when given), else None."""
    if epoch is None:
        stmt, params = _BY_ID, {"user_id": user_id}
    else:
        stmt, params = _BY_SESSION, {"user_id": user_id, "epoch": epoch}
    row = conn.execute(stmt, params).mappings().first()
    if row is None:
        return None
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or row["username"]
    role = row["role"]
    if role == "supervisor" and row["staff_key"] is not None and row["staff_role"] != role:
        role = "counselor"
    return CurrentUser(
        user_id=row["user_id"],
        username=row["username"],
        role=role,
        staff_key=row["staff_key"],
        program_key=row["program_key"],
        session_epoch=row["session_epoch"],
        display_name=name,
        program_name=row["program_name"],
        time_zone=row["time_zone"],
        must_change_password=bool(row["must_change_password"]),
    )

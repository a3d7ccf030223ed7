"""The demo logins (``caseload users demo``) and the check that none is left active in
production. Adding, disabling and resetting logins are commands shared with the admin page:
``dashboard.commands.users``."""

from __future__ import annotations

import os

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.engine import make_url

from dashboard.commands.users import UserError, create_user, set_password
from dashboard.config import is_development_environment
from etl.db import normalize_url
from etl.models import AppUser, DimClient, DimProgram, DimStaff
from etl.settings import get_settings

DEMO_LOGINS = (
    ("demo.counselor", "counselor", "counselor-demo-2026"),
    ("demo.supervisor", "supervisor", "supervisor-demo-2026"),
    ("demo.admin", "admin", "admin-demo-2026"),
)


def _busiest_counselor(conn: Connection):
    active = or_(
        DimClient.discharge_date.is_(None), DimClient.discharge_date >= func.current_date()
    )
    return conn.execute(
        select(DimStaff.staff_id, DimStaff.program_key, func.count(DimClient.client_key).label("n"))
        .join(DimClient, DimClient.counselor_key == DimStaff.staff_key)
        .where(DimStaff.role == "counselor", active)
        .group_by(DimStaff.staff_id, DimStaff.program_key)
        .order_by(func.count(DimClient.client_key).desc(), DimStaff.staff_id)
        .limit(1)
    ).first()


DEMO_PREFIX = "demo."


def active_demo_logins(conn: Connection) -> list[str]:
    """Every ``demo.*`` login that can sign in, the three above or any other so named."""
    return list(
        conn.execute(
            select(AppUser.username)
            .where(AppUser.username.startswith(DEMO_PREFIX, autoescape=True), AppUser.is_active)
            .order_by(AppUser.username)
        ).scalars()
    )


def refuse_outside_a_demo(database_url: str | None, allow_demo_logins: bool) -> None:
    """Demo passwords are in the source code: they belong on a laptop's demo warehouse only."""
    if not is_development_environment():
        raise UserError(
            "demo logins are refused unless CASELOAD_ENV is unset, development or test "
            f"(it is {os.environ.get('CASELOAD_ENV', '').strip()[:40]!r})"
        )
    backend = make_url(normalize_url(database_url or get_settings().database_url))
    if backend.get_backend_name() != "sqlite" and not allow_demo_logins:
        raise UserError(
            "demo logins go into the embedded SQLite warehouse only; this is "
            f"{backend.get_backend_name()}: pass --allow-demo-logins to create them anyway"
        )


def ensure_demo_logins(conn: Connection) -> list[tuple[str, str, str, str]]:
    """Create the three demo logins, tied to staff from the loaded data, or reset the password
    of those that exist. A demo login an administrator disabled stays disabled: the command
    refuses before changing anything."""
    disabled = conn.execute(
        select(AppUser.username).where(
            AppUser.username.in_([name for name, _role, _pw in DEMO_LOGINS]),
            AppUser.is_active.is_(False),
        )
    ).scalars()
    disabled = sorted(disabled)
    if disabled:
        raise UserError(
            f"{', '.join(disabled)} disabled by an administrator: not re-enabled "
            "(nothing was changed)"
        )
    counselor = _busiest_counselor(conn)
    if counselor is None:
        raise UserError("no counselor with clients in the warehouse: load data first")
    supervisor_id = conn.execute(
        select(DimStaff.staff_id)
        .where(DimStaff.role == "supervisor", DimStaff.program_key == counselor.program_key)
        .order_by(DimStaff.staff_id)
        .limit(1)
    ).scalar()
    program_id = conn.execute(
        select(DimProgram.program_id).where(DimProgram.program_key == counselor.program_key)
    ).scalar()
    binding = {
        "counselor": {"staff_id": counselor.staff_id},
        "supervisor": {"staff_id": supervisor_id} if supervisor_id else {"program_id": program_id},
        "admin": {"program_id": program_id},
    }
    out = []
    for username, role, password in DEMO_LOGINS:
        exists = conn.execute(select(AppUser.user_id).where(AppUser.username == username)).first()
        if exists:
            set_password(conn, username, password)
        else:
            create_user(conn, username=username, role=role, password=password, **binding[role])
        bound = binding[role].get("staff_id") or f"program {program_id}"
        out.append((username, password, role, bound))
    return out

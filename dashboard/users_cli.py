"""``caseload users``: add, disable and reset dashboard logins; create the demo logins.

Passwords are read from standard input (``--password-stdin``), never from the command line
where ``ps`` and shell history would keep them. The work is in ``dashboard.commands.users``
(shared with the ``/admin/users`` page) and ``dashboard.users`` (demo logins), imported when a
command runs, so ``caseload users --help`` does not wait for SQLAlchemy and Argon2.
"""

from __future__ import annotations

import sys

import click

from dashboard.auth.permissions import ROLES


def make_engine(url: str | None):
    from etl.db import make_engine as make

    return make(url)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("no password given")
    return password


database_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Warehouse URL (default: DATABASE_URL or the SQLite file).",
)


@click.group("users")
def users_command() -> None:
    """Manage dashboard logins."""


def _apply(database_url: str | None, change, *args, **kwargs):
    """Run one change in one transaction; a refusal is the command's error message."""
    from dashboard.commands.errors import InvalidInput

    try:
        with make_engine(database_url).begin() as conn:
            return change(conn, *args, **kwargs)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc


def _show_temporary(username: str, password: str | None) -> None:
    if password:
        click.echo(f"temporary password for {username} (shown once, to be changed at sign-in):")
        click.echo(f"  {password}")


temporary_option = click.option(
    "--temporary",
    is_flag=True,
    help="Let Caseload pick a one-time password, printed once and changed at first sign-in.",
)


@users_command.command("add")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--staff-id", default=None, help="The staff member this login belongs to.")
@click.option("--program-id", default=None, help="Program of a supervisor without staff id.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@temporary_option
@database_option
def add_command(
    username, role, staff_id, program_id, password_stdin, temporary, database_url
) -> None:
    """Add a login."""
    from dashboard.commands.users import create_user

    password = None if temporary else _read_password(password_stdin)
    login = _apply(
        database_url,
        create_user,
        username=username,
        role=role,
        password=password,
        staff_id=staff_id,
        program_id=program_id,
    )
    click.echo(f"added user {login.username} (id {login.user_id}, role {role})")
    _show_temporary(login.username, login.temporary_password)


@users_command.command("disable")
@click.option("--username", required=True)
@database_option
def disable_command(username, database_url) -> None:
    """Disable a login and end its sessions."""
    from dashboard.commands.users import disable_user

    _apply(database_url, disable_user, username)
    click.echo(f"disabled {username}")


@users_command.command("enable")
@click.option("--username", required=True)
@database_option
def enable_command(username, database_url) -> None:
    """Re-enable a disabled login."""
    from dashboard.commands.users import enable_user

    _apply(database_url, enable_user, username)
    click.echo(f"enabled {username}")


@users_command.command("set-access")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--staff-id", default=None, help="The staff member this login belongs to.")
@click.option("--program-id", default=None, help="Program of a supervisor without staff id.")
@database_option
def set_access_command(username, role, staff_id, program_id, database_url) -> None:
    """Change a login's role and program; ends its sessions."""
    from dashboard.commands.users import change_access

    _apply(
        database_url, change_access, username, role=role, staff_id=staff_id, program_id=program_id
    )
    click.echo(f"{username} is now {role}")


@users_command.command("reset-password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@temporary_option
@database_option
def reset_password_command(username, password_stdin, temporary, database_url) -> None:
    """Set a new password and end the user's sessions."""
    from dashboard.commands.users import set_password

    password = None if temporary else _read_password(password_stdin)
    shown = _apply(database_url, set_password, username, password)
    click.echo(f"password reset for {username}")
    _show_temporary(username, shown)


@users_command.command("demo")
@database_option
@click.option(
    "--allow-demo-logins",
    is_flag=True,
    help="Also on a database server (PostgreSQL), e.g. a shared demo; never in production.",
)
def demo_command(database_url, allow_demo_logins) -> None:
    """Create the demo logins (counselor, supervisor, admin) and print them."""
    from dashboard.commands.errors import InvalidInput
    from dashboard.users import ensure_demo_logins, refuse_outside_a_demo

    try:
        refuse_outside_a_demo(database_url, allow_demo_logins)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    logins = _apply(database_url, ensure_demo_logins)
    click.echo("Demo logins (for the synthetic demo only):")
    for username, password, role, bound in logins:
        click.echo(f"  {role:<10} username {username:<16} password {password:<22} ({bound})")

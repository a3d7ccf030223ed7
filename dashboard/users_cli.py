"""``caseload users``: add, disable and reset dashboard logins; create the demo logins.

Passwords are read from standard input (``--password-stdin``), never from the command line
where ``ps`` and shell history would keep them. The work is in ``dashboard.users``, imported
when a command runs, so ``caseload users --help`` does not wait for SQLAlchemy and Argon2.
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


@users_command.command("add")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--staff-id", default=None, help="The staff member this login belongs to.")
@click.option("--program-id", default=None, help="Program of a supervisor without staff id.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@database_option
def add_command(username, role, staff_id, program_id, password_stdin, database_url) -> None:
    """Add a login."""
    from dashboard.users import create_user

    password = _read_password(password_stdin)
    with make_engine(database_url).begin() as conn:
        user_id = create_user(
            conn,
            username=username,
            role=role,
            password=password,
            staff_id=staff_id,
            program_id=program_id,
        )
    click.echo(f"added user {username.strip().lower()} (id {user_id}, role {role})")


@users_command.command("disable")
@click.option("--username", required=True)
@database_option
def disable_command(username, database_url) -> None:
    """Disable a login and end its sessions."""
    from dashboard.users import disable_user

    with make_engine(database_url).begin() as conn:
        disable_user(conn, username)
    click.echo(f"disabled {username}")


@users_command.command("reset-password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@database_option
def reset_password_command(username, password_stdin, database_url) -> None:
    """Set a new password and end the user's sessions."""
    from dashboard.users import set_password

    password = _read_password(password_stdin)
    with make_engine(database_url).begin() as conn:
        set_password(conn, username, password)
    click.echo(f"password reset for {username}")


@users_command.command("demo")
@database_option
@click.option(
    "--allow-demo-logins",
    is_flag=True,
    help="Also on a database server (PostgreSQL), e.g. a shared demo; never in production.",
)
def demo_command(database_url, allow_demo_logins) -> None:
    """Create the demo logins (counselor, supervisor, admin) and print them."""
    from dashboard.users import ensure_demo_logins, refuse_outside_a_demo

    refuse_outside_a_demo(database_url, allow_demo_logins)
    with make_engine(database_url).begin() as conn:
        logins = ensure_demo_logins(conn)
    click.echo("Demo logins (for the synthetic demo only):")
    for username, password, role, bound in logins:
        click.echo(f"  {role:<10} username {username:<16} password {password:<22} ({bound})")

"""``caseload audit verify`` and ``caseload audit head``: prove the access log is unaltered.

Publish the head somewhere the database's owner cannot write (a daily cron line, see
docs/audit.md); ``verify --head ID:MAC`` then also proves that nothing before it was cut away.
"""

from __future__ import annotations

import datetime as dt

import click

from etl.audit import Actor, AuditKeyError, head, parse_head, verify_and_record
from etl.db import make_engine

_URL = click.option("--database-url", envvar="DATABASE_URL", default=None, help="Warehouse URL.")


@click.group("audit")
def audit_command() -> None:
    """Verify the audit log's keyed chain, or print its head for publication."""


def _head_option(_ctx, _param, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    try:
        return parse_head(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@audit_command.command("verify")
@click.option(
    "--from",
    "since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Check the rows from this day (UTC) on, anchored on the row before.",
)
@click.option("--head", "published", callback=_head_option, default=None, metavar="ID:MAC")
@_URL
def verify_command(
    since: dt.datetime | None, published: tuple[int, str] | None, database_url: str | None
) -> None:
    """Walk the chain; exit 1 naming the first row whose content, order or link is wrong."""
    engine = make_engine(database_url)
    try:
        result = verify_and_record(
            engine,
            Actor(username="system"),
            since=since.date() if since else None,
            published_head=published,
            route="cli:audit verify",
        )
    except AuditKeyError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(result.message(), err=not result.ok)
    if not result.ok:
        raise SystemExit(1)


@audit_command.command("head")
@_URL
def head_command(database_url: str | None) -> None:
    """Print ID:MAC of the newest row, to publish outside the database."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        current = head(conn)
    engine.dispose()
    if current is None:
        raise click.ClickException("the audit log is empty")
    click.echo(f"{current[0]}:{current[1]}")

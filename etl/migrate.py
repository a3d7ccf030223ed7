"""Schema migrations driven from code: ``caseload init-db`` and the test fixtures use this."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from etl.settings import REPO_ROOT

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine


def alembic_config() -> Config:
    from alembic.config import Config  # Alembic loads in ~0.3 s: only when a command migrates

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@click.command("init-db")
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Warehouse URL (default: DATABASE_URL or the embedded SQLite file).",
)
def init_db_command(database_url: str | None) -> None:
    """Create or upgrade the warehouse schema (alembic upgrade head)."""
    from etl.db import make_engine

    engine = make_engine(database_url)
    upgrade(engine)
    click.echo(f"Warehouse schema is at head on {engine.url.render_as_string(hide_password=True)}")

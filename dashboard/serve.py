"""``caseload serve``: the dashboard on the embedded server (a laptop, a demo), or with
``--production`` under gunicorn with several worker processes.

``--production`` builds the app once in gunicorn's master process before any worker forks, so
a configuration that cannot run safely (debug on, no ``SECRET_KEY`` or ``CASELOAD_AUDIT_KEY``,
SQLite without ``--allow-sqlite``, demo logins active) stops the start-up with one line and
exit code 2 instead of a crash loop of workers. Each worker drops the database connections it
inherited (``Database.after_fork``) and opens its own.
"""

from __future__ import annotations

import gc
import os
import sys

import click

REFUSED_EXIT = 2


def refuse(message: str) -> None:
    """One line on stderr, exit code 2: what a service manager shows and a script can test."""
    click.echo(f"caseload: refusing to start: {message}", err=True)
    sys.exit(REFUSED_EXIT)


def freeze_heap() -> None:
    """Put what start-up built (modules, the app, Dash's registries: some 260,000 objects)
    out of the garbage collector's reach, once the app is built and before serving.

    Every full collection otherwise walks all of it while a request waits: 150-240 ms a time
    on the 2-core bench machine, which made the Missed callback's p95 twice its median
    (``benchmarks/bench_dashboard.py``). Under gunicorn's ``--preload`` the master freezes
    before forking, so workers also stop touching the memory pages they share with it."""
    gc.collect()
    gc.freeze()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option(
    "--production",
    is_flag=True,
    help="Run under gunicorn with --workers processes and production's start-up checks.",
)
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--allow-sqlite",
    is_flag=True,
    help="With --production: accept an SQLite warehouse (one host only).",
)
def serve_command(host: str, port: int, production: bool, workers: int, allow_sqlite: bool) -> None:
    """Start the dashboard (Flask + Dash) on HOST:PORT."""
    from dashboard import create_app
    from dashboard.config import Config, ConfigError

    if production:
        if allow_sqlite:
            os.environ["CASELOAD_ALLOW_SQLITE"] = "1"
        try:
            app = create_app(Config.from_env(serving=True))
        except ConfigError as exc:
            refuse(str(exc))
        from dashboard.gunicorn_app import run_gunicorn

        freeze_heap()

        click.echo(f"Caseload dashboard on http://{host}:{port}/ with {workers} workers")
        run_gunicorn(app, host=host, port=port, workers=workers)
        return

    from werkzeug.serving import run_simple

    try:
        app = create_app(Config.from_env())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    freeze_heap()
    click.echo(f"Caseload dashboard on http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)

"""``caseload serve``: the dashboard on the embedded server, for a laptop or a demo.

Production runs ``gunicorn dashboard.wsgi:app`` instead (several workers, behind TLS).
"""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Start the dashboard (Flask + Dash) on HOST:PORT."""
    from werkzeug.serving import run_simple

    from dashboard import create_app
    from dashboard.config import Config, ConfigError

    try:
        app = create_app(Config.from_env())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Caseload dashboard on http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)

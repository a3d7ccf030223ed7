"""``caseload run-ingest DROP_DIR``: one drop-folder run (``etl.ingest.dropfolder``), for a timer.

Exit codes: 0 every file loaded (or none was ready), 1 a file failed (it is in ``failed/``),
75 (``EX_TEMPFAIL``) another run holds the lock: nothing was touched, try again later.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

LOCKED_EXIT = 75


@click.command("run-ingest")
@click.argument(
    "drop_dir", type=click.Path(exists=True, file_okay=False, writable=True, path_type=Path)
)
@click.option(
    "--settle",
    "settle_seconds",
    type=click.FloatRange(0, 3600),
    default=5.0,
    show_default=True,
    help="Seconds a file's size and mtime must stay unchanged before it is read.",
)
@click.option("--no-refresh", is_flag=True, help="Leave the risk refresh owed to the next run.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON on stdout.")
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Warehouse URL (default: DATABASE_URL or the embedded SQLite file).",
)
def run_ingest_command(
    drop_dir: Path, settle_seconds: float, no_refresh: bool, as_json: bool, database_url: str | None
) -> None:
    """Load the complete files in DROP_DIR, move them to processed/ or failed/, refresh risk.

    One run at a time per warehouse (a second exits with code 75). Files still being written
    (size or mtime changing, or named *.part / *.tmp) wait for the next run.
    """
    from etl.db import make_engine
    from etl.ingest.dropfolder import run_drop_folder
    from etl.ingest.runlock import RunLocked

    engine = make_engine(database_url)
    try:
        run = run_drop_folder(
            engine, drop_dir, settle_seconds=settle_seconds, refresh=not no_refresh
        )
    except RunLocked as exc:
        click.echo(f"caseload run-ingest: {exc}; nothing done, try again later", err=True)
        sys.exit(LOCKED_EXIT)
    finally:
        engine.dispose()
    results = {r.path: r for r in run.results}
    if as_json:
        out = {
            "files": [
                {
                    "file": src.name,
                    "moved_to": str(dst.relative_to(drop_dir.resolve())),
                    "status": results[str(src)].status,
                    "read": results[str(src)].read,
                    "rejected": results[str(src)].rejected,
                }
                for src, dst in run.moved
            ],
            "waiting": run.waiting,
            "refreshed_clients": run.refreshed_clients,
        }
        click.echo(json.dumps(out, indent=2))
    else:
        for src, dst in run.moved:
            r = results[str(src)]
            what = (
                r.error
                if r.status == "failed"
                else (
                    f"read {r.read:,} = {r.inserted:,} new + {r.updated:,} updated + "
                    f"{r.unchanged:,} unchanged + {r.rejected:,} rejected + {r.skipped:,} skipped"
                )
            )
            click.echo(f"{src.name} -> {dst.relative_to(drop_dir.resolve())}: {what}")
        for name in run.waiting:
            click.echo(f"{name}: still being written, left for the next run")
        if not run.moved and not run.waiting:
            click.echo("No files ready.")
        if run.refreshed_clients:
            click.echo(
                f"Refreshed the risk scores of {run.refreshed_clients:,} clients "
                f"in {run.refresh_seconds:.1f} s."
            )
    sys.exit(0 if run.ok else 1)

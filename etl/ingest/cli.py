"""``caseload ingest``: load files, print what happened, exit non-zero if any file failed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

_SUFFIXES = (".csv", ".csv.gz", ".json", ".ndjson", ".ndjson.gz")


def _expand(paths: tuple[str, ...]) -> list[Path]:
    """Directories stand for the CSV and FHIR files directly inside them."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.name.lower().endswith(_SUFFIXES))
        else:
            out.append(p)
    return out


def refresh_line(stats, changes, no_refresh: bool) -> str | None:
    """What the load set off after the files: the risk refresh, or why it did not run."""
    if no_refresh:
        return "Risk scores not refreshed (--no-refresh): run caseload score when loads are done."
    if stats is None:
        return (
            "Risk scores unchanged: nothing in these files changed a client-day."
            if not changes
            else None
        )
    return (
        f"Also refreshed the risk scores: {stats.rows:,} client-days of {stats.clients:,} "
        f"clients in {stats.seconds:.1f} s."
    )


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--retry-quarantine",
    is_flag=True,
    help="After loading PATHS (if any), load open quarantined rows again.",
)
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Warehouse URL (default: DATABASE_URL or the embedded SQLite file).",
)
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(path_type=str),
    default=None,
    help="A TOML or YAML mapping file (docs/mapping.md): read PATHS, in their own column "
    "names, as the kind it names.",
)
@click.option("--chunk-rows", type=int, default=None, help="Rows per chunk (memory bound).")
@click.option(
    "--no-refresh",
    is_flag=True,
    help="Skip the post-load steps (client-day facts, risk scores); run caseload score later. "
    "For backfills of many files, scored once at the end.",
)
def ingest_command(
    paths: tuple[str, ...],
    as_json: bool,
    retry_quarantine: bool,
    database_url: str | None,
    chunk_rows: int | None,
    no_refresh: bool,
    mapping_path: str | None,
) -> None:
    """Load programs, staff, clients, check-ins and drug screens: CSV or CSV.GZ files, and
    FHIR R4 JSON (a resource, a Bundle) or Bulk NDJSON (docs/fhir.md).

    Files load in dependency order whatever the order given; each file is one transaction.
    Rejected rows go to the quarantine; a file that cannot be read fails with one line.
    """
    if not paths and not retry_quarantine:
        raise click.UsageError("give files to load, or --retry-quarantine")
    from rich.console import Console

    from etl.db import make_engine
    from etl.ingest.hooks import run_post_load
    from etl.ingest.mapping import MappingError, load_mapping
    from etl.ingest.pipeline import ingest_paths
    from etl.ingest.report import progress_bar, render_json, render_problems, render_table

    err = Console(stderr=True)
    mapping = None
    if mapping_path is not None:
        try:
            mapping = load_mapping(mapping_path)  # checked whole before any row is read
        except MappingError as exc:
            raise click.ClickException(str(exc)) from None
    post_load: dict = {}
    engine = make_engine(database_url)
    try:
        with progress_bar(err, enabled=not as_json) as on_progress:
            report = ingest_paths(
                engine,
                _expand(paths),
                chunk_rows=chunk_rows,
                on_progress=on_progress,
                retry_quarantine=retry_quarantine,
                mapping=mapping,
            )
        if report.changes and not no_refresh:
            with err.status("Refreshing client-day facts and risk scores", spinner="dots"):
                post_load = run_post_load(engine, report.changes)
    finally:
        engine.dispose()
    if as_json:
        click.echo(render_json(report))
        render_problems(report)
    else:
        out = Console()
        if not out.is_terminal:  # a pipe or a log file: never truncate paths or kinds
            widest = max((len(f.path) for f in report.files), default=10)
            out = Console(width=max(100, widest + 100))
        render_table(report, out)
        render_problems(report)
    line = refresh_line(post_load.get("etl.risk.score:refresh"), report.changes, no_refresh)
    if line:
        click.echo(line, err=as_json)
    sys.exit(0 if report.ok else 1)

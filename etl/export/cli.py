"""``caseload export --anonymized``: de-identified record-level files from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from etl.db import make_engine

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command("export")
@click.option("--anonymized", is_flag=True, help="Required: only de-identified exports exist here.")
@click.option("--level", type=click.Choice(["records"]), default="records", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--program", default=None, help="Program id (default: every program).")
@click.option("--from", "start", type=_DATE, default=None)
@click.option("--to", "end", type=_DATE, default=None)
@click.option("--grain", type=click.Choice(["day", "week"]), default="day", show_default=True)
@click.option("--k", "k", type=click.IntRange(2, 1000), default=5, show_default=True)
@click.option(
    "--l",
    "l_div",
    type=click.IntRange(1, 2),
    default=2,
    show_default=True,
    help="l-diversity of 'any use or positive screen' per class.",
)
@click.option(
    "--stable-pseudonyms",
    is_flag=True,
    help="Reuse (and keep) each client's pseudonym from the program's link table.",
)
@click.option("--database-url", envvar="DATABASE_URL", default=None)
def export_command(
    anonymized,
    level,
    fmt,
    out,
    program,
    start,
    end,
    grain,
    k,
    l_div,
    stable_pseudonyms,
    database_url,
) -> None:
    """Write a de-identified export (HIPAA Safe Harbor, k-anonymous) with its notice."""
    from etl.export.records import Query
    from etl.export.run import ExportRefused, export_records

    if not anonymized:
        raise click.UsageError("--anonymized is required (identified data: `caseload scores`)")
    if start and end and start > end:
        raise click.BadParameter("--from is after --to", param_hint="--from")

    def progress(done: int, total: int) -> None:
        click.echo(f"written {done}/{total} rows", err=True)

    q = Query(
        program_id=program,
        start=start.date() if start else None,
        end=end.date() if end else None,
        grain=grain,
    )
    try:
        result = export_records(
            make_engine(database_url),
            out,
            fmt=fmt,
            query=q,
            k=k,
            l_div=l_div,
            stable=stable_pseudonyms,
            progress=progress,
        )
    except ExportRefused as exc:
        raise click.ClickException(str(exc)) from exc
    s = result.summary
    click.echo(
        f"{s['rows']} rows, {s['people']} people to {out} (k reached {s['k_reached']}, "
        f"l reached {s['l_reached']}, generalised {s['generalised']}, "
        f"suppressed {s['suppressed']}, sha256 {s['sha256']})"
    )

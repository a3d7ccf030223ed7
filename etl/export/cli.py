"""``caseload export --anonymized``: de-identified files from the command line.

Whoever runs it holds the database URL, so it may export any program (an admin's scope);
every file is audited like the page's downloads.
"""

from __future__ import annotations

from pathlib import Path

import click

from etl.db import make_engine

_DATE = click.DateTime(formats=["%Y-%m-%d"])
GRAINS = {"records": ("day", "week"), "aggregate": ("month", "week")}


@click.command("export")
@click.option("--anonymized", is_flag=True, help="Required: only de-identified exports exist here.")
@click.option(
    "--level", type=click.Choice(["records", "aggregate"]), default="records", show_default=True
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), default="csv", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--program", default=None, help="Program id (default: every program).")
@click.option("--from", "start", type=_DATE, default=None)
@click.option("--to", "end", type=_DATE, default=None)
@click.option(
    "--grain",
    type=click.Choice(["day", "week", "month"]),
    default=None,
    help="records: day (default) or week; aggregate: month (default) or week.",
)
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
    "--mode",
    type=click.Choice(["safe-harbor", "expert-determination"]),
    default="safe-harbor",
    show_default=True,
    help="expert-determination (records only): dates moved by a secret per-client offset.",
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
    mode,
    stable_pseudonyms,
    database_url,
) -> None:
    """Write a de-identified export (HIPAA Safe Harbor, k-anonymous) with its notice."""
    from etl.export.records import Query
    from etl.export.run import ExportRefused, export_aggregate, export_records, program_keys

    if not anonymized:
        raise click.UsageError("--anonymized is required (identified data: `caseload scores`)")
    if start and end and start > end:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    grain = grain or GRAINS[level][0]
    if grain not in GRAINS[level]:
        raise click.BadParameter(
            f"{level} exports take {' or '.join(GRAINS[level])}", param_hint="--grain"
        )
    mode = mode.replace("-", "_")
    if level == "aggregate" and mode != "safe_harbor":
        raise click.BadParameter("aggregate reports are Safe Harbor only", param_hint="--mode")

    def progress(done: int, total: int) -> None:
        noun = "rows" if level == "records" else "figure sets"
        click.echo(f"written {done}/{total} {noun}", err=True)

    engine = make_engine(database_url)
    try:
        if level == "aggregate":
            result = export_aggregate(
                engine,
                out,
                fmt=fmt,
                program_keys=program_keys(engine, program),
                start=start.date() if start else None,
                end=end.date() if end else None,
                grain=grain,
                progress=progress,
            )
        else:
            q = Query(
                program_id=program,
                start=start.date() if start else None,
                end=end.date() if end else None,
                grain=grain,
            )
            result = export_records(
                engine,
                out,
                fmt=fmt,
                query=q,
                k=k,
                l_div=l_div,
                stable=stable_pseudonyms,
                mode=mode,
                progress=progress,
            )
    except ExportRefused as exc:
        raise click.ClickException(str(exc)) from exc
    s = result.summary
    if level == "aggregate":
        click.echo(
            f"{s['rows']} rows, {s['cells']} cells to {out} ({s['cells_suppressed']} suppressed: "
            f"{s['suppressed_primary']} primary, {s['suppressed_complementary']} complementary; "
            f"smallest published cell {s['k_reached']}, sha256 {s['sha256']})"
        )
        return
    click.echo(
        f"{s['rows']} rows, {s['people']} people to {out} (mode {s['mode']}, k reached "
        f"{s['k_reached']}, l reached {s['l_reached']}, generalised {s['generalised']}, "
        f"suppressed {s['suppressed']}, sha256 {s['sha256']})"
    )

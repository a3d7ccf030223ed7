"""``caseload fhir``: the published Questionnaires, and the warehouse as Bulk NDJSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from etl.fhir import contract


@click.group("fhir")
def fhir_command() -> None:
    """FHIR R4: the check-in and BAM Questionnaires, and Bulk NDJSON export."""


@fhir_command.command("questionnaire")
@click.argument("name", type=click.Choice(sorted(contract.QUESTIONNAIRES)))
def questionnaire_command(name: str) -> None:
    """Print the published Questionnaire NAME as FHIR R4 JSON."""
    click.echo(json.dumps(contract.questionnaire(name), indent=2))


@fhir_command.command("export")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@click.option("--database-url", envvar="DATABASE_URL", default=None)
def export_command(out: Path, database_url: str | None) -> None:
    """Write roster, check-ins and screens as Bulk NDJSON into OUT (identified: audited, the
    files readable by their owner only)."""
    from etl.db import make_engine
    from etl.fhir.export import export_fhir

    engine = make_engine(database_url)
    counts = export_fhir(engine, out)
    for name, n in counts.items():
        click.echo(f"{out / name}: {n:,} resources")

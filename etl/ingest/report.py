"""How an ingest run is shown: a table of counts per file, one line per problem, or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from etl.ingest.pipeline import ProgressFn
from etl.ingest.results import IngestReport

PROGRESS_MIN_ROWS = 100_000


def render_table(report: IngestReport, console: Console) -> None:
    table = Table(title="Ingest", show_lines=False)
    for name, justify in (
        ("file", "left"),
        ("kind", "left"),
        ("read", "right"),
        ("inserted", "right"),
        ("updated", "right"),
        ("unchanged", "right"),
        ("rejected", "right"),
        ("skipped", "right"),
        ("status", "left"),
    ):
        table.add_column(name, justify=justify)
    for f in report.files:
        status = "[green]loaded" if f.status == "loaded" else "[red]failed"
        table.add_row(
            f.path,
            f.kind or "?",
            f"{f.read:,}",
            f"{f.inserted:,}",
            f"{f.updated:,}",
            f"{f.unchanged:,}",
            f"{f.rejected:,}",
            f"{f.skipped:,}",
            status,
        )
    console.print(table)


def render_problems(report: IngestReport) -> None:
    """One plain line per failed file and per warning, each naming the file (stderr)."""
    for f in report.files:
        for warning in f.warnings:
            click.echo(f"{f.path}: warning: {warning}", err=True)
        if f.status != "loaded":
            click.echo(f"{f.path}: {f.error}", err=True)
        elif f.rejected:
            click.echo(f"{f.path}: {f.rejected:,} rows rejected to the quarantine", err=True)
        for reason, n in sorted(f.skip_reasons.items()):
            click.echo(f"{f.path}: {n:,} skipped: {reason}", err=True)


def render_json(report: IngestReport) -> str:
    return json.dumps(report.as_json(), indent=2)


@contextmanager
def progress_bar(console: Console, enabled: bool) -> Iterator[ProgressFn | None]:
    """A bar per large file while it loads; nothing when not on a terminal."""
    if not enabled or not console.is_terminal:
        yield None
        return
    tasks: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:

        def update(path: str, done: int, total: int) -> None:
            if total < PROGRESS_MIN_ROWS:
                return
            if path not in tasks:
                tasks[path] = bar.add_task(path, total=total)
            bar.update(tasks[path], completed=done, total=total)

        yield update

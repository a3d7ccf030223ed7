"""``caseload synth``: write a synthetic program as canonical CSV files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click


def _parse_mix(attribute: str):
    """A ``name=share,...`` option as probabilities in the order of the roster's
    ``attribute`` (``SUBSTANCES`` or ``SCHEDULES``), imported when the option is used so
    that ``caseload --help`` does not wait for NumPy and Faker."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None):
        if value is None:
            return None
        from etl.synth import roster

        names = [str(n) for n in getattr(roster, attribute)]
        shares = dict.fromkeys(names, 0.0)
        for part in value.split(","):
            name, _, share = part.partition("=")
            if name.strip() not in shares:
                raise click.BadParameter(f"unknown name {name.strip()!r}; one of {names}")
            try:
                shares[name.strip()] = float(share)
            except ValueError as exc:
                raise click.BadParameter(f"{name.strip()}: share must be a number") from exc
        total = sum(shares.values())
        if total <= 0 or min(shares.values()) < 0:
            raise click.BadParameter("shares must be non-negative and not all zero")
        return [v / total for v in shares.values()]

    return parse


def _parse_time(ctx: click.Context, param: click.Parameter, value: str) -> dt.time | None:
    if value in ("24:00", "end"):
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use HH:MM (24:00 for the whole day)") from exc


@click.command("synth")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for the CSV files (ground truth goes to OUT/truth).",
)
@click.option("--clients", type=click.IntRange(min=1), default=300, show_default=True)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=120,
    show_default=True,
    help="Length of the window, ending on the as-of day.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of the window (default: today), so a demo always looks live.",
)
@click.option(
    "--as-of-time",
    "as_of_time",
    default="09:00",
    show_default=True,
    callback=_parse_time,
    help="Local time of the export on the as-of day: later check-ins and screens "
    "of that day are not in the files yet (24:00 for the whole day).",
)
@click.option("--programs", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--no-truth", "no_truth", is_flag=True, help="Do not write OUT/truth.")
@click.option("--gzip", "compress", is_flag=True, help="Write .csv.gz files.")
@click.option(
    "--substance-mix",
    default=None,
    callback=_parse_mix("SUBSTANCES"),
    help="Shares of primary substances, e.g. alcohol=0.6,opioids=0.4 (others 0).",
)
@click.option(
    "--schedule-mix",
    default=None,
    callback=_parse_mix("SCHEDULES"),
    help="Shares of check-in schedules, e.g. daily=0.4,weekdays=0.5,weekly=0.1.",
)
def synth_command(
    out: Path,
    clients: int,
    days: int,
    seed: int,
    as_of: dt.datetime | None,
    as_of_time: dt.time | None,
    programs: int,
    no_truth: bool,
    compress: bool,
    substance_mix: list[float] | None,
    schedule_mix: list[float] | None,
) -> None:
    """Generate a synthetic outpatient program (roster, check-ins, drug screens).

    Latent relapse risk follows stress, cue exposure, mood, sleep and isolation around each
    client's own baseline; lapses, missed check-ins, disclosures and screens follow from it.
    The same arguments always give the same files.
    """
    from etl.synth.generate import SynthConfig, generate

    cfg = SynthConfig(
        out=out,
        clients=clients,
        days=days,
        seed=seed,
        as_of=as_of.date() if as_of else None,
        programs=programs,
        truth=not no_truth,
        gzip=compress,
        as_of_time=as_of_time,
        substance_p=substance_mix,
        schedule_p=schedule_mix,
    )
    result = generate(cfg)
    click.echo(f"window {result.start} .. {result.as_of} ({days} days), seed {seed}")
    for name, file in result.files.items():
        click.echo(f"  {file}: {result.rows.get(name, 0):,} rows")
    click.echo(f"done in {result.seconds:.1f} s")

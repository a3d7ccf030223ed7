"""Command line of the risk engine: ``score``, ``evaluate-risk``, ``scores``, ``risk-config``."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import click


def make_engine(url: str | None):
    """The warehouse engine, imported when a command runs (SQLAlchemy is not needed for
    ``--help`` or ``risk-config``)."""
    from etl.db import make_engine as make

    return make(url)


_DATE = click.DateTime(formats=["%Y-%m-%d"])
_URL = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="Warehouse URL (default: DATABASE_URL or the embedded SQLite file).",
)


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@click.command("score")
@click.option("--full", is_flag=True, help="Recompute every client and day from scratch.")
@click.option(
    "--as-of",
    type=_DATE,
    default=None,
    help="Last day to score (default: the newest check-in or screen date).",
)
@_URL
def score_command(full: bool, as_of: dt.datetime | None, database_url: str | None) -> None:
    """Refresh client-day facts and daily risk scores.

    Without --full, every active client gets the days since the last scored day (missed
    check-ins included) and clients never scored get their history; after an ingest, the
    loader passes what changed instead.
    """
    from etl.changes import ChangeSet
    from etl.risk.score import refresh

    engine = make_engine(database_url)
    stats = refresh(engine, None if full else ChangeSet(), _day(as_of))
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in stats.timings.items())
    click.echo(
        f"{stats.mode} refresh through {stats.as_of}: {stats.clients} clients, "
        f"{stats.rows} client-days scored in {stats.seconds:.1f} s ({timings})"
    )


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@click.command("evaluate-risk")
@click.option(
    "--horizon",
    default=7,
    show_default=True,
    type=click.IntRange(1, 90),
    help="Days after each scored day in which a lapse counts.",
)
@click.option(
    "--k",
    "k",
    default=5,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Alert budget: clients per counselor per day.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--truth",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Synthetic ground truth (caseload synth OUT or OUT/truth).",
)
@click.option(
    "--bam",
    "with_bam",
    is_flag=True,
    help="Also rescore with the BAM rule off and on and compare the two rankings.",
)
@click.option("--from", "start", type=_DATE, default=None)
@click.option("--to", "end", type=_DATE, default=None)
@_URL
def evaluate_command(
    horizon: int,
    k: int,
    as_json: bool,
    truth: Path | None,
    with_bam: bool,
    start,
    end,
    database_url: str | None,
) -> None:
    """How well the stored scores predicted lapses, next to simple baselines."""
    from etl.risk.evaluate import compare_bam, evaluate

    engine = make_engine(database_url)
    window = {"horizon": horizon, "k": k, "start": _day(start), "end": _day(end)}
    result = evaluate(engine, truth_dir=truth, **window)
    if with_bam:
        result["bam"] = compare_bam(engine, **window)
    if as_json:
        click.echo(json.dumps(_json_safe(result), indent=2))
        return
    click.echo(
        f"Lapse within {horizon} days (reported use or positive screen), "
        f"{result['from']} .. {result['to']}: n={result['n']}, positives={result['positives']} "
        f"(base rate {_fmt(result['base_rate'])}); {result['unobserved']} client-days left out "
        "because nothing was recorded in their horizon."
    )
    click.echo(f"{'ranking':<22}{'AUROC':>8}{'PR-AUC':>8}{f'prec@{k}':>9}{f'recall@{k}':>11}")
    rows = [("risk score", result)] + list(result["baselines"].items())
    for name, r in rows:
        click.echo(
            f"{name:<22}{_fmt(r['auroc']):>8}{_fmt(r['pr_auc']):>8}"
            f"{_fmt(r['precision_at_k']):>9}{_fmt(r['recall_at_k']):>11}"
        )
    if "ceiling" in result:
        c = result["ceiling"]
        click.echo(
            f"{'simulator latent risk':<22}{_fmt(c['auroc']):>8}{_fmt(c['pr_auc']):>8}"
            "   (ceiling: synthetic ground truth)"
        )
    click.echo("Observed lapse rate by tier:")
    for tier, t in result["tiers"].items():
        click.echo(f"  {tier:<10}{t['n']:>9} client-days  {_fmt(t['lapse_rate'])}")
    click.echo("Reasons given (client-days, lapse rate after):")
    for code, r in result["rules"].items():
        click.echo(f"  {code:<14}{r['n']:>9}  {_fmt(r['lapse_rate'])}")
    click.echo("AUROC by group:")
    for group, values in result["groups"].items():
        parts = ", ".join(f"{v} {_fmt(g['auroc'])} (n={g['n']})" for v, g in values.items())
        click.echo(f"  {group}: {parts}")
    if with_bam:
        _echo_bam(result["bam"], k)


def _echo_bam(b: dict, k: int) -> None:
    """Whether the BAM rule helps: the same days ranked with it off and on."""
    w = b["with_form"]
    click.echo(
        f"BAM rule (rescored both ways on the same days; {b['changed_days']} of {b['n']} "
        "client-days change score):"
    )
    click.echo(f"{'ranking':<22}{'AUROC':>8}{'PR-AUC':>8}{f'prec@{k}':>9}{f'recall@{k}':>11}")
    for name in ("off", "on"):
        r = b[name]
        click.echo(
            f"{'BAM rule ' + name:<22}{_fmt(r['auroc']):>8}{_fmt(r['pr_auc']):>8}"
            f"{_fmt(r['precision_at_k']):>9}{_fmt(r['recall_at_k']):>11}"
        )
    click.echo(
        f"  client-days with a form in the last {w['max_age_days']} days: n={w['n']}, "
        f"positives={w['positives']}; AUROC off {_fmt(w['off']['auroc'])}, "
        f"on {_fmt(w['on']['auroc'])}"
    )
    delta = b["on"]["auroc"] - b["off"]["auroc"]
    verdict = "helps" if delta > 0.005 else "hurts" if delta < -0.005 else "makes no difference"
    click.echo(f"  on this data the BAM rule {verdict} (AUROC {delta:+.3f})")


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@click.command("scores")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (identified data: the export is audited).",
)
@click.option("--from", "start", type=_DATE, default=None)
@click.option("--to", "end", type=_DATE, default=None)
@_URL
def scores_command(out: Path, start, end, database_url: str | None) -> None:
    """Write client_id, date, score, tier, reasons to a CSV file (recorded in the audit log)."""
    from etl.risk.export import export_scores

    rows = export_scores(make_engine(database_url), out, start=_day(start), end=_day(end))
    click.echo(f"{rows} scores written to {out} (export recorded in the audit log)")


@click.command("risk-config")
@click.option("--program", default=None, help="Program id (default: the shared settings).")
@click.option("--check", is_flag=True, help="Validate every file in the configuration folder.")
def risk_config_command(program: str | None, check: bool) -> None:
    """Show the effective risk configuration and its hash, or validate all overrides."""
    from etl.risk.config import ConfigError, config_dir, load_config
    from etl.risk.rules import RULE_VERSION

    if check:
        folder = config_dir()
        names = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        failed = False
        for name in [None, *[n for n in names if n != "default"]]:
            try:
                cfg = load_config(name)
                click.echo(f"ok   {name or '(shared)'}  {cfg.config_hash[:12]}")
            except ConfigError as exc:
                failed = True
                click.echo(f"FAIL {name or '(shared)'}: {exc}", err=True)
        if failed:
            raise SystemExit(1)
        return
    cfg = load_config(program)
    click.echo(
        json.dumps(
            {
                "rule_version": RULE_VERSION,
                "config_hash": cfg.config_hash,
                "config": cfg.model_dump(mode="json"),
            },
            indent=2,
        )
    )

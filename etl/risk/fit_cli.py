"""``caseload risk fit``: fitted points for one program, judged on a time-split holdout."""

from __future__ import annotations

import math
from pathlib import Path

import click

from etl.db import make_engine
from etl.risk.cli import _DATE, _URL, _day


@click.group("risk")
def risk_group() -> None:
    """Risk points learned from a program's own history."""


def _f(value, spec: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def _ci(pair) -> str:
    return f"[{_f(pair[0])}, {_f(pair[1])}]" if pair else ""


@risk_group.command("fit")
@click.option("--program", "program_id", required=True, help="Program id (dim_program).")
@click.option("--from", "start", type=_DATE, default=None, help="First day of data used.")
@click.option("--to", "end", type=_DATE, default=None, help="Last day (default: newest data).")
@click.option("--horizon", default=7, show_default=True, type=click.IntRange(1, 90))
@click.option(
    "--holdout-days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Days at the end kept for the holdout (default: the last third).",
)
@click.option(
    "--alert-budget",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.5, 1000),
    help="High-or-critical clients a counselor with the median caseload can see a morning.",
)
@click.option("--k", "k", default=5, show_default=True, type=click.IntRange(1, 1000))
@click.option("--bootstrap", "reps", default=200, show_default=True, type=click.IntRange(0, 10000))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to write, e.g. config/risk/P01.toml (only if the fit wins).",
)
@_URL
def fit_command(
    program_id, start, end, horizon, holdout_days, alert_budget, k, reps, out, database_url
) -> None:
    """Fit the rules' points on the program's history; print the holdout figures; write
    OUT only when the fitted points beat the current ones on the holdout."""
    from etl.risk.fit import TooLittleData
    from etl.risk.fit_data import FitDataError
    from etl.risk.fit_run import run_fit, write_result

    try:
        result = run_fit(
            make_engine(database_url),
            program_id,
            horizon=horizon,
            start=_day(start),
            end=_day(end),
            holdout_days=holdout_days,
            alert_budget=alert_budget,
            k=k,
            reps=reps,
        )
    except (TooLittleData, FitDataError) as exc:
        raise click.ClickException(str(exc)) from exc
    _print(result, k)
    if not result.wins:
        r = result.figures["rankings"]
        click.echo(
            f"Not written: the fitted points (holdout AUROC {_f(r['fitted points']['auroc'])}) "
            f"do not beat the current ones ({_f(r['current points']['auroc'])})."
        )
        raise SystemExit(2)
    write_result(result, out, horizon, alert_budget)
    click.echo(
        f"Written: {out} (validate with caseload risk-config --check; rescore with "
        "caseload score --full)"
    )


def _print(result, k: int) -> None:
    from etl.risk.client_day import to_date

    f = result.figures
    s = result.split
    card = result.card
    click.echo(
        f"Program {result.program_id}, data {result.period[0]} .. {result.period[1]}. "
        f"Fit: days up to {to_date(s.fit_end)}: {result.fit_rows:,} client-days with a known "
        f"outcome, {result.fit_lapses:,} lapses, {result.fit_clients:,} clients."
    )
    click.echo(
        f"Holdout (never in the fit): {to_date(s.holdout_start)} .. {result.period[1]}: "
        f"{f['n']:,} client-days, {f['positives']:,} lapses (base rate {_f(f['base_rate'])}), "
        f"{f['clients']:,} clients."
    )
    click.echo(f"Scorecard: {card.factor:.2f} points per unit of log-odds.")
    if card.dropped:
        click.echo("Held at zero (no added risk found): " + ", ".join(card.dropped))
    click.echo(
        f"{'holdout ranking':<22}{'AUROC':>8}{'95% CI':>17}{'PR-AUC':>8}"
        f"{f'prec@{k}':>9}{f'recall@{k}':>11}"
    )
    for name, r in f["rankings"].items():
        click.echo(
            f"{name:<22}{_f(r['auroc']):>8}{_ci(r['auroc_95']):>17}{_f(r['pr_auc']):>8}"
            f"{_f(r['precision_at_k']):>9}{_f(r['recall_at_k']):>11}"
        )
    t = result.fitted.tiers
    e = result.tier_effect
    click.echo(
        f"Fitted tiers: moderate {t.moderate:g}, high {t.high:g}, critical {t.critical:g} "
        f"(fit days: {e['high_per_counselor_day']:.1f} high-or-critical per counselor per day, "
        f"median caseload {e['median_caseload']:.1f}, {e['lapse_capture']:.1%} of lapses caught)."
    )
    click.echo("Holdout lapse rate by tier:")
    for name, tiers in f["tiers"].items():
        parts = ", ".join(
            f"{tier} {_f(v['lapse_rate'])} (n={v['n']:,})" for tier, v in tiers.items()
        )
        click.echo(f"  {name}: {parts}")
    click.echo("Holdout AUROC by group [95% CI]:")
    for name, groups in f["groups"].items():
        for group, values in groups.items():
            parts = ", ".join(
                f"{v} {_f(g['auroc'])} {_ci(g['auroc_95'])} (n={g['n']:,})"
                for v, g in values.items()
            )
            click.echo(f"  {name}, {group}: {parts}")
    click.echo("Fitted points (changed keys):")
    from etl.risk.fit_write import changed_keys

    for section, keys in changed_keys(result.current, result.fitted).items():
        click.echo(f"  [{section}] " + ", ".join(f"{k2}={v}" for k2, v in keys.items()))

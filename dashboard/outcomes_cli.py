"""``caseload outcomes``: a program's outcome figures for scripts, from the page's read layer.

Whoever runs it already holds the database URL, so it reads any program (the scope of an
admin), and it is audited like ``caseload scores``: one ``view`` row naming the operating-system
user, the host, the program and the period. An unknown program or counselor is a clear error
(exit 2) and a ``denied`` row.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from dashboard.auth.permissions import VIEW_ALL_OUTCOMES, VIEW_OUTCOMES
from dashboard.read import outcomes as read_outcomes
from dashboard.read.scope import Scope
from etl.audit import record
from etl.db import make_engine
from etl.risk.export import cli_actor

CLI_SCOPE = Scope(
    user_id=0,
    role="admin",
    staff_key=None,
    program_key=None,
    permissions=frozenset({VIEW_OUTCOMES, VIEW_ALL_OUTCOMES}),
)
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _audit(engine, action: str, detail: dict, program_key: int | None = None) -> None:
    with engine.begin() as conn:
        record(
            conn,
            action=action,
            actor=cli_actor(),
            route="caseload outcomes",
            category="program_outcomes",
            outcome="denied" if action == "denied" else "success",
            detail={**detail, "program_key": program_key},
        )


@click.command("outcomes")
@click.option("--program", "program_id", required=True, help="Program id (programs.csv).")
@click.option("--from", "start", type=_DATE, required=True, help="First day (program date).")
@click.option("--to", "end", type=_DATE, required=True, help="Last day, included.")
@click.option("--counselor", "staff_id", default=None, help="One counselor's caseload.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--suppress-small",
    is_flag=True,
    help="Blank every figure resting on fewer than 11 clients (for figures leaving the program).",
)
@click.option("--database-url", envvar="DATABASE_URL", default=None)
def outcomes_command(
    program_id: str,
    start: dt.datetime,
    end: dt.datetime,
    staff_id: str | None,
    as_json: bool,
    suppress_small: bool,
    database_url: str | None,
) -> None:
    """Census, retention, adherence, abstinence, screens, risk mix and follow-up of a program."""
    engine = make_engine(database_url)
    first, last = start.date(), end.date()
    detail = {"program": program_id[:64], "from": first.isoformat(), "to": last.isoformat()}
    if last < first:
        raise click.UsageError(f"--to {last} is before --from {first}")
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, program_id)
        counselor = None
        if key is not None and staff_id is not None:
            counselor = read_outcomes.counselor_key(conn, key, staff_id)
        if key is not None and (staff_id is None or counselor is not None):
            result = read_outcomes.program_outcomes(conn, key, first, last, counselor)
    if key is None:
        _audit(engine, "denied", {**detail, "reason": "unknown program"})
        raise click.UsageError(f"--program: unknown program id {program_id!r}")
    if staff_id is not None and counselor is None:
        _audit(engine, "denied", {**detail, "reason": "unknown counselor"}, key)
        raise click.UsageError(
            f"--counselor: {staff_id!r} is not a counselor of program {program_id!r}"
        )
    _audit(engine, "view", {**detail, "counselor": staff_id, "suppressed": suppress_small}, key)
    if suppress_small:
        result = read_outcomes.suppress_small(result)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(render_table(result))


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _mark(block: dict) -> str:
    return "  (n < 11)" if block.get("small") else ""


def render_table(r: dict) -> str:
    """The figures as a readable table (the same numbers as ``--json``)."""
    avg = "-" if r["census_avg"] is None else f"{r['census_avg']:.1f}"
    who = f", counselor {r['counselor_id']}" if r.get("counselor_id") else ""
    lines = [
        f"Program {r['program_id']}{who}, {r['from']} .. {r['to']}",
        f"  census on {r['to']:<12}{r['census_end']}{'  (n < 11)' if r['census_small'] else ''}",
        f"  mean daily census     {avg}",
        f"  admissions            {r['admissions']}",
        f"  discharges            {r['discharges']}",
    ]
    for n, b in r["retention"].items():
        lines.append(
            f"  retention {n:>3} days    {_pct(b['rate'])} "
            f"({b['retained']} of {b['eligible']} eligible){_mark(b)}"
        )
    a, ab, s, f = r["adherence"], r["abstinence"], r["screens"], r["followup"]
    lines += [
        f"  check-in adherence    {_pct(a['rate'])} ({a['met']} of {a['expected']}){_mark(a)}",
        f"  abstinent days        {_pct(ab['rate'])} "
        f"({ab['abstinent_days']} of {ab['answered_days']} answered){_mark(ab)}",
        f"  negative screens      {_pct(s['negative_rate'])} "
        f"({s['negative']} of {s['collected']}; dilute {s['dilute']}, invalid {s['invalid']}, "
        f"refused {s['refused']}){_mark(s)}",
    ]
    for substance, b in s["by_substance"].items():
        lines.append(
            f"    {substance:<20}{_pct(b['negative_rate'])} ({b['negative']} of "
            f"{b['collected']}){_mark(b)}"
        )
    median = "-" if f["median_hours"] is None else f"{f['median_hours']:.1f} h"
    lines += [
        f"  high-risk flags       {f['flags']}: contacted {f['contacted']}, within 24 h "
        f"{_pct(f['within_24h_rate'])}, median {median}{_mark(f)}",
        "  counselor             caseload  contacts  flags  within 24 h",
    ]
    for c in r["counselors"]:
        lines.append(
            f"    {c['staff_id']:<20}{c['caseload_end']:>8}{c['contacts']:>10}{c['flags']:>7}"
            f"  {_pct(c['within_24h_rate'])}{_mark(c)}"
        )
    return "\n".join(lines)

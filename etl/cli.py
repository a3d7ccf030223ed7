"""The ``caseload`` command line.

Subcommands live beside the code they drive and are imported only when called, so
``caseload ingest`` does not pay for importing Dash and ``caseload serve`` not for pandas' I/O.
``caseload --help`` imports none of them: it lists the one-line help kept in ``COMMANDS``
(a test checks it matches each command's own). To add one, map its name to
``(module:attribute, short help)`` in ``COMMANDS``; the command module imports its heavy
dependencies inside the command's body, so its own ``--help`` stays quick too.
"""

from __future__ import annotations

import importlib

import click

SHORT_HELP_LIMIT = 60
COMMANDS: dict[str, tuple[str, str]] = {  # name -> (module:attribute, short help)
    "ingest": (
        "etl.ingest.cli:ingest_command",
        "Load programs, staff, clients, check-ins and drug...",
    ),
    "init-db": (
        "etl.migrate:init_db_command",
        "Create or upgrade the warehouse schema (alembic upgrade...",
    ),
    "run-ingest": (
        "etl.ingest.run_cli:run_ingest_command",
        "Load the complete files in DROP_DIR, move them to...",
    ),
    "serve": ("dashboard.serve:serve_command", "Start the dashboard (Flask + Dash) on HOST:PORT."),
    "synth": ("etl.synth.cli:synth_command", "Generate a synthetic outpatient program (roster,..."),
    "score": ("etl.risk.cli:score_command", "Refresh client-day facts and daily risk scores."),
    "evaluate-risk": (
        "etl.risk.cli:evaluate_command",
        "How well the stored scores predicted lapses, next to...",
    ),
    "scores": (
        "etl.risk.cli:scores_command",
        "Write client_id, date, score, tier, reasons to a CSV file...",
    ),
    "risk-config": (
        "etl.risk.cli:risk_config_command",
        "Show the effective risk configuration and its hash, or...",
    ),
    "users": ("dashboard.users_cli:users_command", "Manage dashboard logins."),
    "audit": (
        "etl.audit_cli:audit_command",
        "Verify the audit log's keyed chain, or print its head for...",
    ),
    "risk": ("etl.risk.fit_cli:risk_group", "Risk points learned from a program's own history."),
    "fhir": (
        "etl.fhir.cli:fhir_command",
        "FHIR R4: the check-in and BAM Questionnaires, and Bulk...",
    ),
    "outcomes": (
        "dashboard.outcomes_cli:outcomes_command",
        "Census, retention, adherence, abstinence, screens, risk...",
    ),
    "export": (
        "etl.export.cli:export_command",
        "Write a de-identified export (HIPAA Safe Harbor,...",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module, attr = entry[0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``COMMANDS``, without importing a single command."""
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="caseload")
def main() -> None:
    """Caseload: warehouse, ingest, risk scoring and the clinician dashboard."""


if __name__ == "__main__":
    main()

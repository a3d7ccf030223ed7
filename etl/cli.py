"""The ``caseload`` command line.

Subcommands live beside the code they drive and are imported only when called, so
``caseload ingest`` does not pay for importing Dash and ``caseload serve`` not for pandas' I/O.
To add one, map its name to ``module:attribute`` in ``COMMANDS``.
"""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, str] = {
    "ingest": "etl.ingest.cli:ingest_command",
    "init-db": "etl.migrate:init_db_command",
    "serve": "dashboard.serve:serve_command",
    "synth": "etl.synth.cli:synth_command",
    "score": "etl.risk.cli:score_command",
    "evaluate-risk": "etl.risk.cli:evaluate_command",
    "scores": "etl.risk.cli:scores_command",
    "risk-config": "etl.risk.cli:risk_config_command",
    "risk": "etl.risk.fit_cli:risk_group",
    "users": "dashboard.users:users_command",
    "fhir": "etl.fhir.cli:fhir_command",
    "export": "etl.export.cli:export_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(package_name="caseload")
def main() -> None:
    """Caseload: warehouse, ingest, risk scoring and the clinician dashboard."""


if __name__ == "__main__":
    main()

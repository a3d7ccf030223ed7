"""``caseload --help`` and each command's ``--help`` answer without importing the heavy
libraries (pandas, SQLAlchemy, Dash, Alembic, Argon2): that is what keeps them under 0.5 s."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from etl.cli import COMMANDS, SHORT_HELP_LIMIT, main

HEAVY = ("pandas", "numpy", "sqlalchemy", "dash", "flask", "alembic", "argon2", "plotly")

PROBE = """
import contextlib, io, json, sys
from etl.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main({argv!r}, prog_name="caseload")
    except SystemExit:
        pass
loaded = sorted({{name.split(".")[0] for name in sys.modules}})
print(json.dumps({{"help": out.getvalue(), "loaded": loaded}}))
"""


def _probe(argv: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["ingest", "--help"],
        ["synth", "--help"],
        ["score", "--help"],
        ["serve", "--help"],
        ["init-db", "--help"],
        ["users", "--help"],
        ["users", "add", "--help"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_help_imports_no_heavy_library(argv) -> None:
    seen = _probe(argv)
    assert "Usage: caseload" in seen["help"]
    assert [m for m in HEAVY if m in seen["loaded"]] == []


def test_listed_help_is_each_commands_own() -> None:
    for name, (_target, short) in COMMANDS.items():
        command = main.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        assert short == command.get_short_help_str(limit=SHORT_HELP_LIMIT), name

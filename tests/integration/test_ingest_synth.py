"""The demo path: what ``caseload synth`` writes, ``caseload ingest`` loads without a reject."""

from __future__ import annotations

import csv

from click.testing import CliRunner
from factories import url_of

from etl.cli import main
from etl.ingest import ingest_paths


def test_synthetic_program_loads_cleanly_and_idempotently(engine, tmp_path) -> None:
    out = tmp_path / "demo"
    made = CliRunner().invoke(
        main,
        [
            "synth",
            "--out",
            str(out),
            "--clients",
            "40",
            "--days",
            "30",
            "--seed",
            "3",
            "--as-of",
            "2026-11-27",
            "--no-truth",
        ],
    )
    assert made.exit_code == 0, made.output
    files = sorted(out.glob("*.csv"))
    expected = {}
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            expected[f.name] = sum(1 for _ in csv.DictReader(fh))

    first = ingest_paths(engine, files)
    assert first.ok
    got = {f.path.rsplit("/", 1)[-1]: (f.read, f.inserted, f.rejected) for f in first.files}
    assert got == {name: (n, n, 0) for name, n in expected.items()}
    assert expected["checkins.csv"] > 0 and expected["clients.csv"] == 40

    second = ingest_paths(engine, files)
    assert all(f.unchanged == f.read and f.inserted == f.updated == 0 for f in second.files)
    assert not second.changes


def test_ingest_says_it_refreshed_the_risk_scores(engine, tmp_path) -> None:
    from sqlalchemy import func, select

    from etl.models import FctRiskScore

    out = tmp_path / "demo"
    made = CliRunner().invoke(
        main,
        ["synth", "--out", str(out), "--clients", "12", "--days", "20", "--seed", "5"]
        + ["--as-of", "2026-11-27", "--no-truth"],
    )
    assert made.exit_code == 0, made.output
    url = url_of(engine)
    loaded = CliRunner().invoke(main, ["ingest", str(out), "--database-url", url])
    assert loaded.exit_code == 0, loaded.output
    with engine.connect() as conn:
        scored = conn.execute(select(func.count()).select_from(FctRiskScore)).scalar_one()
    assert scored > 0
    line = [x for x in loaded.output.splitlines() if "refreshed the risk scores" in x]
    assert line and f"{scored:,} client-days of 12 clients in " in line[0], loaded.output

    again = CliRunner().invoke(main, ["ingest", str(out), "--database-url", url])
    assert "Risk scores unchanged" in again.output
    later = CliRunner().invoke(main, ["ingest", str(out), "--no-refresh", "--database-url", url])
    assert "not refreshed (--no-refresh)" in later.output

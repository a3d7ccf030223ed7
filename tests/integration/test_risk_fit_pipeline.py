"""``caseload risk fit`` end to end on a synthetic program, on every database under test: the
written file validates, and scoring with it gives back the holdout figures the fit printed."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from click.testing import CliRunner
from factories import url_of

from etl.cli import main
from etl.ingest import ingest_paths
from etl.risk import refresh
from etl.risk.client_day import to_date
from etl.risk.evaluate import evaluate
from etl.risk.fit_run import run_fit, write_result
from etl.synth import SynthConfig, generate

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)


def _load(engine, tmp_path, clients: int, days: int) -> None:
    out = tmp_path / "synth"
    generate(SynthConfig(out=out, clients=clients, days=days, seed=11, programs=1, as_of=AS_OF))
    report = ingest_paths(engine, sorted(out.glob("*.csv")))
    assert report.ok


def test_written_config_validates_and_reproduces_the_holdout_figures(engine, tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("CASELOAD_RISK_CONFIG_DIR", str(folder))
    _load(engine, tmp_path, clients=300, days=150)
    # With the hand-set points, discordance is counted like every other reason.
    refresh(engine, None, AS_OF, config_dir=folder, now=NOW)
    before = evaluate(engine)
    assert before["rules"]["discordance"]["n"] > 0
    assert 0 <= before["rules"]["discordance"]["lapse_rate"] <= 1
    assert before["rules"]["use"]["n"] > before["rules"]["discordance"]["n"]
    result = run_fit(engine, "P01", reps=50, config_dir=folder)
    assert result.fit_lapses >= 30
    assert result.split.fit_end + 7 < result.split.holdout_start
    out = folder / "P01.toml"  # written whether or not it won: the command decides that
    write_result(result, out, 7, 5)
    text = out.read_text()
    assert text.startswith("# Risk points for program P01")
    assert "Holdout AUROC" in text
    assert tomllib.loads(text)["tiers"]["high"] == result.fitted.tiers.high

    check = CliRunner().invoke(main, ["risk-config", "--check"])
    assert check.exit_code == 0, check.output
    assert f"ok   P01  {result.fitted.config_hash[:12]}" in check.output

    refresh(engine, None, AS_OF, config_dir=folder, now=NOW)
    got = evaluate(engine, start=to_date(result.split.holdout_start), k=5)
    fitted = result.figures["rankings"]["fitted points"]
    assert got["n"] == result.figures["n"]
    assert got["positives"] == result.figures["positives"]
    assert got["auroc"] == pytest.approx(fitted["auroc"], abs=1e-12)
    assert got["pr_auc"] == pytest.approx(fitted["pr_auc"], abs=1e-12)
    assert got["precision_at_k"] == pytest.approx(fitted["precision_at_k"], abs=1e-12)
    tiers = result.figures["tiers"]["fitted points"]
    assert {t: v["n"] for t, v in got["tiers"].items()} == {t: v["n"] for t, v in tiers.items()}


def test_too_little_data_is_refused_and_nothing_is_written(engine, tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("CASELOAD_RISK_CONFIG_DIR", str(folder))
    _load(engine, tmp_path, clients=4, days=60)
    out = folder / "P01.toml"
    run = CliRunner().invoke(
        main,
        ["risk", "fit", "--program", "P01", "--out", str(out)],
        env={"DATABASE_URL": url_of(engine)},
    )
    assert run.exit_code == 1, run.output
    assert "too little data to fit" in run.output
    assert "at least 30 needed" in run.output
    assert not out.exists()

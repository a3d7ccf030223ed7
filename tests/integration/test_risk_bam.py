"""The BAM rule through the warehouse: loaded forms become reasons once a program turns the
rule on, and ``evaluate-risk --bam`` compares the same days ranked with it off and on."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from factories import url_of
from sqlalchemy import select

from etl.cli import main
from etl.ingest import ingest_paths
from etl.models import DimClient, FctBam, FctRiskScore
from etl.risk import refresh
from etl.risk.config import CONFIG_DIR_ENV
from etl.risk.evaluate import compare_bam, evaluate
from etl.synth import SynthConfig, generate

pytestmark = pytest.mark.slow
MORNING_AFTER = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)


def test_bam_rule_reasons_and_the_comparison(engine, tmp_path, monkeypatch):
    out = tmp_path / "synth"
    generate(SynthConfig(out=out, clients=150, days=90, seed=5, as_of=dt.date(2026, 11, 27)))
    report = ingest_paths(engine, sorted(out.glob("*.csv")))
    assert report.ok and report.files[-1].kind == "bam" and report.files[-1].inserted > 100
    refresh(engine, report.changes, now=MORNING_AFTER)
    stored = evaluate(engine)
    with engine.connect() as conn:
        reasons = [r for (rs,) in conn.execute(select(FctRiskScore.reasons)) for r in rs]
    assert not any(r["code"] == "bam" for r in reasons)  # off by default

    # Rescoring both ways: "off" reproduces the stored ranking exactly.
    both = compare_bam(engine)
    assert both["n"] == stored["n"] and both["positives"] == stored["positives"]
    assert both["off"]["auroc"] == pytest.approx(stored["auroc"])
    assert both["off"]["precision_at_k"] == pytest.approx(stored["precision_at_k"])
    assert both["changed_days"] > 0 and 0 < both["with_form"]["n"] <= both["n"]

    # A program turns the rule on: the next full refresh gives BAM reasons, and each names
    # the client's latest form within 35 days and its scores.
    config = tmp_path / "risk"
    config.mkdir()
    (config / "default.toml").write_text("[bam]\nenabled = true\n")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    refresh(engine, None, now=MORNING_AFTER)
    with engine.connect() as conn:
        rows = conn.execute(
            select(FctRiskScore.client_key, FctRiskScore.date, FctRiskScore.reasons)
        ).all()
        forms = conn.execute(
            select(FctBam.client_key, FctBam.local_date, FctBam.risk_score, FctBam.protective_score)
        ).all()
    flagged = [(key, day, r) for key, day, rs in rows for r in rs if r["code"] == "bam"]
    assert len(flagged) > 100
    by_client: dict[int, list] = {}
    for key, day, risk, protective in forms:
        by_client.setdefault(key, []).append((day, risk, protective))
    for key, day, r in flagged[:: max(1, len(flagged) // 50)]:
        latest = max(f for f in by_client[key] if f[0] <= day)
        assert (day - latest[0]).days == r["values"]["form_age"] <= 35
        assert (r["values"]["risk_score"], r["values"]["protective_score"]) == latest[1:]
        assert latest[1] >= 12 or latest[2] <= 12
        assert r["signal"] == "BAM risk factors" and r["text"].startswith("on the BAM of ")

    # The command line says the same, in words and as JSON.
    result = CliRunner().invoke(
        main, ["evaluate-risk", "--bam", "--json", "--database-url", url_of(engine)]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)["bam"]
    assert figures["n"] == both["n"]
    assert figures["on"]["auroc"] == pytest.approx(both["on"]["auroc"])
    text = CliRunner().invoke(main, ["evaluate-risk", "--bam", "--database-url", url_of(engine)])
    assert "BAM rule off" in text.output and "BAM rule on" in text.output
    assert "on this data the BAM rule " in text.output


def test_clients_without_forms_score_as_before(engine, tmp_path, monkeypatch):
    generate(
        SynthConfig(out=tmp_path / "s", clients=40, days=40, seed=2, as_of=dt.date(2026, 11, 27))
    )
    files = sorted((tmp_path / "s").glob("*.csv"))
    report = ingest_paths(engine, [f for f in files if f.name != "bam.csv"])
    refresh(engine, report.changes, now=MORNING_AFTER)
    with engine.connect() as conn:
        before = conn.execute(
            select(FctRiskScore.client_key, FctRiskScore.date, FctRiskScore.score).order_by(
                FctRiskScore.client_key, FctRiskScore.date
            )
        ).all()
    config = tmp_path / "risk"
    config.mkdir()
    (config / "default.toml").write_text("[bam]\nenabled = true\n")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    refresh(engine, None, now=MORNING_AFTER)
    with engine.connect() as conn:
        after = conn.execute(
            select(FctRiskScore.client_key, FctRiskScore.date, FctRiskScore.score).order_by(
                FctRiskScore.client_key, FctRiskScore.date
            )
        ).all()
        assert conn.execute(select(DimClient.client_key)).first() is not None
    assert after == before

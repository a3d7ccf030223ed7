"""End to end on a synthetic program: the score must rank lapses better than each simple
baseline, and no better than the simulator's own latent risk (the ceiling).

The program comes from ``caseload synth`` (400 clients over 150 days, fixed seed), is loaded
by ``caseload ingest``'s pipeline, and scored from the ChangeSet that ingest hands over.
"""

from __future__ import annotations

import datetime as dt

import pytest

from etl.ingest import ingest_paths
from etl.risk import refresh
from etl.risk.evaluate import evaluate
from etl.synth import SynthConfig, generate

pytestmark = pytest.mark.slow


def test_score_beats_every_baseline_on_synthetic_data(engine, tmp_path):
    out = tmp_path / "synth"
    generate(SynthConfig(out=out, clients=400, days=150, seed=7, as_of=dt.date(2026, 11, 27)))
    report = ingest_paths(engine, sorted(out.glob("*.csv")))
    assert report.ok and all(f.rejected == 0 for f in report.files)
    assert len(report.changes.client_dates) == 400
    # Scored the morning after the export, so no day is still in progress.
    stats = refresh(engine, report.changes, now=dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC))
    # One row per enrolled client-day: exactly the simulator's enrolled days in the window.
    truth_days = sum(1 for _ in (out / "truth" / "daily.csv").open()) - 1
    assert stats.rows == truth_days

    report = evaluate(engine, truth_dir=out / "truth")
    assert report["n"] > 10_000 and report["positives"] > 500
    for name, baseline in report["baselines"].items():
        assert report["auroc"] > baseline["auroc"], (name, report["auroc"], baseline["auroc"])
    assert report["auroc"] < report["ceiling"]["auroc"]
    assert report["precision_at_k"] > report["base_rate"]
    rates = [report["tiers"][t]["lapse_rate"] for t in ("low", "moderate", "high", "critical")]
    assert rates == sorted(rates), rates

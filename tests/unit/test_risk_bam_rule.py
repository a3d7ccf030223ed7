"""The BAM rule on hand-made forms: the latest fresh form's scales, the cut-offs, the text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from test_risk_rules import START, calm, frames

from etl.risk.compute import compute, to_frames
from etl.risk.config import RiskConfig, default_config


def _cfg(**bam) -> RiskConfig:
    cfg = default_config()
    return cfg.model_copy(update={"bam": cfg.bam.model_copy(update={"enabled": True, **bam})})


def _score(forms: list[tuple[int, int, int]], days: int, cfg: RiskConfig | None) -> pd.DataFrame:
    """Scores of a calm daily client with BAM forms (day, risk, protective)."""
    clients = pd.DataFrame(
        {
            "client_key": [1],
            "admission_date": [START - dt.timedelta(days=60)],
            "discharge_date": [None],
            "checkin_schedule": ["daily"],
        }
    )
    bam = pd.DataFrame(
        {
            "client_key": [1] * len(forms),
            "local_date": [START + dt.timedelta(days=d) for d, _, _ in forms],
            "risk_score": [r for _, r, _ in forms],
            "protective_score": [p for _, _, p in forms],
        }
    )
    result = compute(
        clients,
        frames([calm(d) for d in range(-60, days)]),
        pd.DataFrame(columns=["client_key", "local_date", "result"]),
        START,
        START + dt.timedelta(days=days - 1),
        cfg or default_config(),
        bam=bam,
    )
    _, score = to_frames(result)
    return score


def _bam(row) -> dict | None:
    return next((r for r in row["reasons"] if r["code"] == "bam"), None)


def test_off_by_default_and_then_no_reason() -> None:
    assert default_config().bam.enabled is False
    score = _score([(0, 18, 6)], 10, None)
    assert all(_bam(r) is None for _, r in score.iterrows())


def test_latest_fresh_form_gives_points_by_the_cut_offs() -> None:
    # A form 20 days before the grid (still fresh on day 0), then a worse one on day 5, a
    # reassuring one on day 12; the last goes stale after 35 days.
    score = _score([(-20, 13, 12), (5, 16, 9), (12, 8, 20)], 50, _cfg())
    points = {
        int(i): (_bam(r) or {}).get("points", 0.0)
        for i, r in score.iterrows()
        if i in (0, 4, 5, 11, 12)
    }
    # Risk 13: 6 + 1 x (13 - 12) = 7; protective 12: 4 + 0.5 x 0 = 4 -> 11.
    # Risk 16: 6 + 4 = 10; protective 9: 4 + 0.5 x 3 = 5.5 -> 15 (the cap is 15).
    assert points == {0: 11.0, 4: 11.0, 5: 15.0, 11: 15.0, 12: 0.0}
    first = _bam(score.iloc[0])
    assert first["signal"] == "BAM risk factors"
    assert first["text"] == (
        "on the BAM of Aug 12: risk factors 13 (flag at 12), "
        "protective factors 12 (flag at 12 or less)"
    )
    assert first["values"] == {"risk_score": 13, "protective_score": 12, "form_age": 20}
    assert _bam(score.iloc[5])["text"] == (
        "on the BAM of Sep 6: risk factors 16 (flag at 12), "
        "protective factors 9 (flag at 12 or less)"
    )


def test_a_stale_form_no_longer_counts() -> None:
    score = _score([(0, 20, 5)], 45, _cfg(max_age_days=30))
    has = np.array([_bam(r) is not None for _, r in score.iterrows()])
    assert has[:31].all() and not has[31:].any()


def test_protective_alone_and_a_client_without_forms() -> None:
    score = _score([(0, 4, 10)], 3, _cfg())
    assert _bam(score.iloc[0])["text"] == (
        "on the BAM of Sep 1: protective factors 10 (flag at 12 or less)"
    )
    assert _bam(score.iloc[0])["points"] == 5.0  # 4 + 0.5 x 2
    none = _score([], 3, _cfg())
    assert all(_bam(r) is None for _, r in none.iterrows())

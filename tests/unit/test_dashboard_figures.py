"""Pure builders: baselines, tier bands, the calendar's states, grid rows, CSP, redirects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.auth.views import safe_next
from dashboard.figures.client import (
    checkin_calendar,
    empty_figure,
    risk_trend,
    signal_multiples,
    tier_bands,
    trigger_exposure,
)
from dashboard.read.baseline import baseline_bands
from dashboard.security import content_security_policy


def test_baseline_uses_previous_days_only() -> None:
    days = pd.DataFrame(
        {"date": pd.date_range("2026-01-01", periods=40).date, "stress": [2.0] * 35 + [9.0] * 5}
    )
    out = baseline_bands(days, ("stress",), window=28, min_values=7)
    assert out["stress_median"].iloc[:7].isna().all()  # not enough history yet
    assert out["stress_median"].iloc[7] == 2.0
    assert out["stress_median"].iloc[35] == 2.0  # the spike day is judged against before it
    assert out["stress_q75"].iloc[39] == 2.0
    assert np.isclose(out["stress_q75"].iloc[39], 2.0)


def test_baseline_ignores_missing_days() -> None:
    values = [None if i % 2 else float(i % 10) for i in range(30)]
    days = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=30).date, "mood": values})
    out = baseline_bands(days, ("mood",), window=28, min_values=7)
    assert out["mood_median"].notna().sum() > 0
    assert out["mood_q25"].iloc[-1] <= out["mood_median"].iloc[-1] <= out["mood_q75"].iloc[-1]


def test_tier_bands_follow_stored_floors() -> None:
    floors = pd.DataFrame({"tier": ["low", "moderate", "high"], "floor": [3.0, 31.0, 56.0]})
    assert tier_bands(floors, 100.0) == [
        ("low", 0.0, 31.0),
        ("moderate", 31.0, 56.0),
        ("high", 56.0, 100.0),
    ]


def test_risk_trend_marks_tiers_with_shapes_and_screens() -> None:
    risk = pd.DataFrame(
        {
            "date": [dt.date(2026, 11, 1), dt.date(2026, 11, 2)],
            "score": [20.0, 80.0],
            "tier": ["low", "critical"],
            "reasons": [[], [{"signal": "use", "text": "reported use"}]],
        }
    )
    days = pd.DataFrame({"date": [dt.date(2026, 11, 2)], "used_reported": [True]})
    screens = pd.DataFrame(
        {"date": [dt.date(2026, 11, 1)], "substance": ["cocaine"], "result": ["positive"]}
    )
    fig = go.Figure(
        risk_trend(risk, pd.DataFrame({"tier": ["low"], "floor": [0.0]}), days, screens)
    )
    names = {t.name: t for t in fig.data}
    assert names["Critical"].marker.symbol == "x" and names["Low"].marker.symbol == "circle"
    assert list(names["Use reported"].x) == ["2026-11-02"]
    assert list(names["Screen positive"].customdata) == ["cocaine: positive"]


def test_calendar_states() -> None:
    days = pd.DataFrame(
        {
            "date": [dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)],
            "is_expected": [True, True, False],
            "is_received": [True, False, False],
        }
    )
    heat = go.Figure(checkin_calendar(days)).data[0]
    # Monday row: done (2); Tuesday: missed (1); Wednesday: not expected (0)
    assert [heat.z[0][0], heat.z[1][0], heat.z[2][0]] == [2, 1, 0]
    assert heat.text[0][0] == "✓" and heat.text[1][0] == "✕"


def test_csp_has_no_inline_or_eval_scripts() -> None:
    csp = content_security_policy(["'sha256-abc'"])
    script = next(p for p in csp.split("; ") if p.startswith("script-src"))
    assert script == "script-src 'self' 'sha256-abc'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


@pytest.mark.parametrize(
    "target, expected",
    [
        (None, "/"),
        ("/client/C-1", "/client/C-1"),
        ("//evil", "/"),
        ("http://x/", "/"),
        ("/\\\\evil", "/"),
        ("/logout", "/"),
        ("relative", "/"),
    ],
)
def test_safe_next(target, expected) -> None:
    assert safe_next(target) == expected


def _client_frames():
    dates = pd.date_range("2026-09-01", periods=60).date
    rng = np.random.default_rng(3)
    days = pd.DataFrame(
        {
            "date": dates,
            "is_expected": True,
            "is_received": rng.random(60) > 0.2,
            "used_reported": False,
        }
    )
    for col in ("craving", "stress", "mood", "sleep_hours", "sleep_quality"):
        days[col] = np.where(days["is_received"], rng.integers(1, 6, 60).astype(float), np.nan)
    days = baseline_bands(days, ("craving", "stress", "mood", "sleep_hours", "sleep_quality"))
    triggers = pd.DataFrame(
        {
            "date": dates,
            **{
                t: rng.random(60) < 0.2
                for t in ("people", "places", "music", "routines", "emotions", "other")
            },
        }
    )
    return days, triggers


def test_every_spec_is_a_valid_plotly_figure() -> None:
    """Specs skip Plotly's validation at run time; it happens here instead."""
    days, triggers = _client_frames()
    specs = [
        signal_multiples(days),
        checkin_calendar(days),
        trigger_exposure(triggers),
        empty_figure("nothing"),
        signal_multiples(days.iloc[0:0]),
    ]
    for spec in specs:
        go.Figure(spec)  # raises on any unknown or ill-typed property
    signals = go.Figure(specs[0])
    assert signals.layout.yaxis5.domain[0] == 0.0 and signals.layout.yaxis.domain[1] == 1.0
    assert signals.layout.xaxis2.matches == "x"
    bars = go.Figure(specs[2])
    assert sum(sum(t.y) for t in bars.data) == int(triggers.iloc[:, 1:].to_numpy().sum())

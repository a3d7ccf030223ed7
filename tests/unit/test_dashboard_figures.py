"""Pure builders: baseline bands, tier bands, the calendar's states, grid rows, CSP,
redirects."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.auth.views import safe_next
from dashboard.figures.client import (
    baseline_band,
    calendar_states,
    checkin_calendar,
    client_charts,
    date_ticks,
    empty_figure,
    risk_trend,
    signal_multiples,
    tier_bands,
    trigger_exposure,
)
from dashboard.risk_settings import program_settings, settings_from
from dashboard.security import content_security_policy
from dashboard.triage import week_starts
from etl.risk.config import default_config

SIGNALS = ("craving", "stress", "mood", "sleep_hours", "sleep_quality")


def test_baseline_band_is_the_stored_baseline_one_floored_sd_either_side() -> None:
    days = pd.DataFrame(
        {
            "date": pd.date_range("2026-01-01", periods=4).date,
            "stress_baseline": [None, 3.0, 4.0, 5.0],
            "stress_sd": [None, 2.0, 0.4, None],
        }
    )
    band = baseline_band(days, "stress", sd_floor=1.0)
    # No baseline yet (first day) or no SD (last day): no band; the SD never below the floor.
    assert band.dates == list(days["date"].iloc[1:3])
    assert band.low.tolist() == [1.0, 3.0] and band.high.tolist() == [5.0, 5.0]
    raw = baseline_band(days, "stress", sd_floor=None)
    assert raw.sd.tolist() == [2.0, 0.4]


def test_a_gap_in_the_baseline_splits_the_band() -> None:
    days = pd.DataFrame(
        {
            "date": pd.date_range("2026-01-01", periods=6).date,
            "mood_baseline": [5.0, 5.0, None, 5.0, 5.0, 5.0],
            "mood_sd": [1.0] * 6,
        }
    )
    band = baseline_band(days, "mood", sd_floor=None)
    assert [(r.start, r.stop) for r in band.runs()] == [(0, 2), (2, 5)]


def test_the_band_is_where_a_reason_says_the_day_deviates() -> None:
    """A day the engine calls "2.0 SD above own baseline (usual 3.0)" lies 1 SD above the
    band's upper edge: the band uses the engine's own numbers and floor."""
    settings = settings_from(default_config())
    days = pd.DataFrame(
        {"date": [dt.date(2026, 11, 2)], "stress_baseline": [3.0], "stress_sd": [0.5]}
    )
    band = baseline_band(days, "stress", settings.sd_floors["stress"])
    sd_used = max(0.5, default_config().stress.sd_floor)
    value = 3.0 + 2.0 * sd_used
    assert value - band.high[0] == pytest.approx(sd_used)


def test_tier_bands_follow_the_configured_thresholds() -> None:
    thresholds = {"moderate": 25.0, "high": 45.0, "critical": 70.0}
    assert tier_bands(thresholds, 100.0) == [
        ("low", 0.0, 25.0),
        ("moderate", 25.0, 45.0),
        ("high", 45.0, 70.0),
        ("critical", 70.0, 100.0),
    ]
    assert tier_bands(None, 100.0) == []


def test_program_overrides_move_the_bands(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CASELOAD_RISK_CONFIG_DIR", str(tmp_path))
    (tmp_path / "P-X.toml").write_text(
        "[tiers]\nhigh = 50\ncritical = 80\n[windows]\n"
        "baseline_days = 21\n[stress]\nsd_floor = 1.5\n"
    )
    settings = program_settings("P-X")
    assert settings.thresholds == {"moderate": 25.0, "high": 50.0, "critical": 80.0}
    assert settings.baseline_days == 21 and settings.sd_floors["stress"] == 1.5
    assert program_settings("P-OTHER").thresholds["high"] == default_config().tiers.high
    (tmp_path / "P-BAD.toml").write_text("[tiers]\nhigh = 10\n")  # below moderate: invalid
    assert program_settings("P-BAD") is None


def test_program_settings_are_parsed_once_and_again_when_a_file_changes(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("CASELOAD_RISK_CONFIG_DIR", str(tmp_path))
    path = tmp_path / "P-Y.toml"
    path.write_text("[tiers]\nhigh = 50\n")
    first = program_settings("P-Y")
    assert program_settings("P-Y") is first  # unchanged files: the parsed settings again
    path.write_text("[tiers]\nhigh = 55\ncritical = 75\n")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # a later edit, whatever the clock
    assert program_settings("P-Y").thresholds == {"moderate": 25.0, "high": 55.0, "critical": 75.0}
    path.unlink()  # back to the shared defaults
    assert program_settings("P-Y").thresholds["high"] == default_config().tiers.high


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
    thresholds = {"moderate": 25.0, "high": 45.0, "critical": 70.0}
    fig = go.Figure(risk_trend(risk, thresholds, days, screens))
    bands = [(s.y0, s.y1) for s in fig.layout.shapes]
    assert bands == [(0.0, 25.0), (25.0, 45.0), (45.0, 70.0), (70.0, 100.0)]
    names = {t.name: t for t in fig.data}
    assert names["Critical"].marker.symbol == "x" and names["Low"].marker.symbol == "circle"
    assert list(names["Use reported"].x) == ["2026-11-02"]
    assert list(names["Screen positive"].customdata) == ["cocaine: positive"]


def test_calendar_states() -> None:
    days = pd.DataFrame(
        {
            "date": [dt.date(2026, 11, d) for d in (23, 24, 25, 26)],
            "is_expected": [True, True, False, True],
            "is_received": [True, False, False, False],
            "is_missed": [False, True, False, False],
            "days_since_checkin": [0, 1, 2, 3],
        }
    )
    heat = go.Figure(checkin_calendar(days)).data[0]
    # Mon done (2); Tue missed (1); Wed not expected (0); Thu expected, day not over: pending
    assert [heat.z[i][0] for i in range(4)] == [2, 1, 0, 3]
    assert [heat.text[i][0] for i in range(4)] == ["✓", "✕", "", "…"]
    assert heat.customdata[3][0] == "Thu Nov 26: due today, not in yet"


def test_a_weekly_check_in_sent_earlier_in_the_week_meets_the_due_day() -> None:
    days = pd.DataFrame(
        {
            "date": [dt.date(2026, 11, 24), dt.date(2026, 11, 30)],
            "is_expected": [True, True],
            "is_received": [False, False],
            "is_missed": [False, False],
            "days_since_checkin": [2, 9],
        }
    )
    # Met by Sunday's check-in; the next due day, nothing for 9 days and not over: pending.
    assert calendar_states(days, "weekly").tolist() == [0, 3]
    assert calendar_states(days, "daily").tolist() == [3, 3]


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
    days["is_missed"] = ~days["is_received"]
    days["days_since_checkin"] = 0
    for col in SIGNALS:
        days[col] = np.where(days["is_received"], rng.integers(1, 6, 60).astype(float), np.nan)
        # As the engine stores them: none for the first week, then a mean and SD per day.
        days[f"{col}_baseline"] = np.where(np.arange(60) < 7, np.nan, 3.0)
        days[f"{col}_sd"] = np.where(np.arange(60) < 7, np.nan, 0.8)
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
    floors = settings_from(default_config()).sd_floors
    specs = [
        signal_multiples(days, floors),
        checkin_calendar(days),
        trigger_exposure(triggers),
        empty_figure("nothing"),
        signal_multiples(days.iloc[0:0]),
    ]
    for spec in specs:
        go.Figure(spec)  # raises on any unknown or ill-typed property
    signals = go.Figure(specs[0])
    assert signals.layout.yaxis5.domain[0] == 0.0 and signals.layout.yaxis.domain[1] == 1.0
    craving_band = next(t for t in signals.data if t.fill == "toself" and t.yaxis == "y")
    # Baseline 3.0, stored SD 0.8 raised to the craving rule's floor of 1.0.
    assert max(craving_band.y) == 4.0 and min(craving_band.y) == 2.0
    sleep_quality_band = next(t for t in signals.data if t.fill == "toself" and t.yaxis == "y5")
    assert max(sleep_quality_band.y) == pytest.approx(3.8)  # no rule, no floor: the raw SD
    assert signals.layout.xaxis2.matches == "x"
    bars = go.Figure(specs[2])
    assert sum(sum(t.y) for t in bars.data) == int(triggers.iloc[:, 1:].to_numpy().sum())


def _risk_frames():
    risk = pd.DataFrame(
        {
            "date": [dt.date(2026, 11, 1), dt.date(2026, 11, 2)],
            "score": [20.0, 80.0],
            "tier": ["low", "critical"],
            "reasons": [[], []],
        }
    )
    screens = pd.DataFrame(
        {"date": [dt.date(2026, 11, 1)], "substance": ["cocaine"], "result": ["positive"]}
    )
    return risk, screens


def test_the_client_page_is_one_figure_on_one_date_axis() -> None:
    days, triggers = _client_frames()
    days["support_contact"] = [True, False, None] * 20
    risk, screens = _risk_frames()
    spec = client_charts(
        risk,
        days,
        screens,
        triggers,
        thresholds={"moderate": 25.0, "high": 45.0, "critical": 70.0},
        schedule="daily",
        short_sleep_hours=6.0,
    )
    fig = go.Figure(spec)  # valid as a whole
    layout = fig.layout
    # Risk and its strip (2 rows), calendar, triggers, five signals: nine rows, one x axis.
    xaxes = [k for k in spec["layout"] if k.startswith("xaxis")]
    assert len(xaxes) == 9
    assert all(spec["layout"][k]["matches"] == "x" for k in xaxes if k != "xaxis")
    domains = [spec["layout"]["yaxis" + ("" if i == 1 else str(i))]["domain"] for i in range(1, 10)]
    assert all(a[0] > b[1] for a, b in zip(domains, domains[1:], strict=False))  # stacked, apart
    assert all(
        k.get("automargin") is False
        for k in spec["layout"].values()
        if isinstance(k, dict) and "anchor" in k
    )
    # Every trace points at an axis that exists.
    for t in spec["data"]:
        assert t["xaxis"].replace("x", "xaxis") in spec["layout"] or t["xaxis"] == "x"
    # Support contact has its own lane on the strip under the risk line.
    support = [t for t in fig.data if t.name == "Support contact"]
    assert support and set(support[0].y) == {"Support contact"} and support[0].yaxis == "y2"
    assert list(layout.yaxis2.categoryarray) == ["Support contact", "Screen", "Use reported"]
    # The sleep row draws the 6 h line the reasons cite.
    sleep_row = "y" + str(2 + 2 + SIGNALS.index("sleep_hours") + 1)
    lines = [s for s in layout.shapes if s.type == "line" and s.yref == sleep_row]
    assert [(s.y0, s.y1) for s in lines] == [(6.0, 6.0)]
    # Week columns (calendar, triggers) sit mid-week; ticks fall on Mondays, week by week.
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert pd.Timestamp(heat.x[0]).day_of_week == 3 and pd.Timestamp(heat.x[0]).hour == 12
    bars = [t for t in fig.data if t.type == "bar"]
    assert bars and list(bars[0].x) == list(heat.x)
    assert pd.Timestamp(layout.xaxis.tick0).day_of_week == 0
    assert layout.xaxis.dtick == 7 * 86_400_000


def test_date_ticks_thin_out_on_long_ranges() -> None:
    year = date_ticks(dt.date(2025, 11, 1), dt.date(2026, 11, 1))
    assert year["dtick"] == 4 * 7 * 86_400_000
    assert pd.Timestamp(year["tick0"]).day_of_week == 0
    assert date_ticks(None, None) == {}


# Worked out on a calendar: 2026-11-29 is a Sunday, 2027-01-01 a Friday, 1970-01-01 a Thursday.
MONDAYS = [
    (dt.date(2026, 11, 29), dt.date(2026, 11, 23)),  # a Sunday ends the week before
    (dt.date(2026, 11, 30), dt.date(2026, 11, 30)),  # a Monday starts its own
    (dt.date(2026, 12, 2), dt.date(2026, 11, 30)),
    (dt.date(2027, 1, 1), dt.date(2026, 12, 28)),  # the week begins in the year before
    (dt.date(2027, 1, 3), dt.date(2026, 12, 28)),
    (dt.date(2027, 1, 4), dt.date(2027, 1, 4)),
    (dt.date(1970, 1, 1), dt.date(1969, 12, 29)),
    (dt.date(1969, 12, 31), dt.date(1969, 12, 29)),  # before the epoch: negative day numbers
]


def test_week_starts_are_the_mondays_of_their_weeks() -> None:
    days, mondays = zip(*MONDAYS, strict=True)
    assert week_starts(list(days)).tolist() == list(mondays)
    # The read model's columns: dates, or timestamps late in the day (the date, not the next).
    assert week_starts(pd.Series(days)).tolist() == list(mondays)
    late = pd.Series([pd.Timestamp(d) + pd.Timedelta(hours=23, minutes=30) for d in days])
    starts = week_starts(late)
    assert starts.dtype == "datetime64[D]"
    assert starts.tolist() == list(mondays)


def test_stacking_renumbers_every_reference() -> None:
    from dashboard.figures.stack import Part, stack

    one = {"data": [{"type": "scatter", "x": [1], "y": [1]}], "layout": {"xaxis": {}, "yaxis": {}}}
    two = {
        "data": [{"type": "scatter", "x": [1], "y": [2], "xaxis": "x2", "yaxis": "y2"}],
        "layout": {
            "xaxis": {},
            "yaxis": {"domain": [0.5, 1]},
            "xaxis2": {},
            "yaxis2": {"domain": [0, 0.4]},
            "shapes": [{"type": "line", "xref": "x domain", "yref": "y2", "y0": 1, "y1": 1}],
            "annotations": [{"text": "t", "xref": "paper", "yref": "paper", "x": 0, "y": 1}],
        },
    }
    spec = stack(
        [Part(one, 100), Part(two, 100)], gap_px=0, margin={"t": 0, "b": 0, "l": 0, "r": 0}
    )
    assert spec["data"][1]["xaxis"] == "x3" and spec["data"][1]["yaxis"] == "y3"
    assert (
        spec["layout"]["shapes"][0]["yref"] == "y3"
        and spec["layout"]["shapes"][0]["xref"] == "x2 domain"
    )
    assert spec["layout"]["yaxis"]["domain"] == [0.5, 1.0]
    assert spec["layout"]["yaxis2"]["domain"] == [0.25, 0.5]
    assert spec["layout"]["annotations"][0]["y"] == 0.5
    go.Figure(spec)


def test_a_part_with_date_labels_leaves_room_for_them_above_the_next_title() -> None:
    from dashboard.figures.stack import Part, stack

    def part() -> dict:
        return {"data": [{"type": "scatter", "x": [1], "y": [1]}], "layout": {"xaxis": {}}}

    labelled = {"xaxis": {"showticklabels": True}}
    no_margin = {"t": 0, "b": 0, "l": 0, "r": 0}
    spec = stack(
        [Part(part(), 100, axes=labelled), Part(part(), 100, "Next"), Part(part(), 100)],
        gap_px=30,
        margin=no_margin,
        labels_px=20,
    )
    # 300 px of plots, 50 px under the labelled part, 30 px under the plain one.
    assert spec["layout"]["height"] == 380
    assert spec["layout"]["yaxis2"]["domain"][1] == pytest.approx(1 - 150 / 380)
    assert spec["layout"]["yaxis3"]["domain"][1] == pytest.approx(1 - 280 / 380)
    title = next(a for a in spec["layout"]["annotations"] if "Next" in a["text"])
    assert title["y"] == pytest.approx(1 - 150 / 380)  # on the next part's top, under the gap

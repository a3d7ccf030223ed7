"""What a supervisor reads on the Outcomes cards and tables, from a result dict."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures import model_check as check_figs
from dashboard.figures import outcomes as figs


def _result(adherence=0.8, census=30, small=False) -> dict:
    block = {"rate": adherence, "small": small}
    return {
        "census_end": census,
        "census_avg": 28.25,
        "admissions": 4,
        "discharges": 1,
        "census_small": census < 11,
        "retention": {"30": {"rate": 0.9, "small": True}},
        "adherence": block,
        "abstinence": {"rate": None, "small": False},
        "screens": {"negative_rate": 0.5, "small": False},
        "followup": {"within_24h_rate": 0.25, "median_hours": 30.0, "small": True},
    }


def test_cards_show_value_change_and_small_mark():
    cards = {c["key"]: c for c in figs.cards(_result(0.8), _result(0.75, census=25))}
    assert cards["adherence"]["value"] == "80.0%"
    assert cards["adherence"]["change"] == "+5.0 pts vs previous period"
    assert cards["census"]["change"] == "+5 vs previous period"
    assert cards["abstinence"]["value"] == "–"
    assert cards["abstinence"]["change"] == "no earlier figure"
    assert cards["retention"]["small"] and not cards["adherence"]["small"]
    assert cards["median"]["value"] == "30.0 h"


def test_cohort_rows_mark_small_cells_and_name_months():
    rows = figs.cohort_rows(
        [
            {
                "month": "2026-08",
                "admitted": 3,
                "30": {"eligible": 3, "retained": 2, "rate": 2 / 3, "small": True},
                "60": {"eligible": 0, "retained": 0, "rate": None, "small": True},
                "90": {"eligible": 0, "retained": 0, "rate": None, "small": True},
            }
        ]
    )
    assert rows == [
        {"month": "Aug 2026", "admitted": 3, "30": "66.7% of 3 (n < 11)", "60": "–", "90": "–"}
    ]


def test_figures_are_valid_plotly():
    weekly = [
        {
            "week_start": "2026-11-02",
            "adherence": 0.8,
            "abstinence": 0.9,
            "negative_rate": None,
            "screens": 0,
        }
    ]
    mix = [{"week_start": "2026-11-02", "low": 0.7, "moderate": 0.2, "high": 0.1, "critical": 0.0}]
    staff = [{"name": "A B", "caseload_end": 3, "contacts": 2}]
    survival = {"day": [0, 5], "share": [1.0, 0.5], "small": True}
    for spec in (
        figs.trends_figure(weekly),
        figs.mix_figure(mix),
        figs.balance_figure(staff),
        figs.survival_figure(survival),
    ):
        go.Figure(spec)
    assert "n < 11" in figs.survival_figure(survival)["layout"]["title"]["text"]


def test_budget_text_names_the_settings_file():
    check = {
        "budget": {
            "budgets": [{"k": 1, "caught": 0.2, "precision": 0.5, "flags_per_day": 1.0}],
            "current": {"caught": 0.4, "precision": 0.3, "flags_per_day": 2.5},
            "lapses": 10,
            "from": "2026-09-01",
            "to": "2026-11-29",
        }
    }
    text = check_figs.budget_text(check, 1, "P-EAST")
    assert text["chosen"].startswith("With 1 client per counselor each morning: 20% of the")
    assert "2.5 flags per counselor per day" in text["current"]
    assert "config/risk/P-EAST.toml" in text["where"]

"""The BAM's scoring and its client-page figure, on hand-scored forms."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.bam import bam_trend
from etl import bam


def test_scales_are_the_published_item_sets() -> None:
    assert bam.USE == ("item_4", "item_5", "item_6")
    assert bam.RISK == ("item_1", "item_2", "item_3", "item_8", "item_11", "item_15")
    assert bam.PROTECTIVE == ("item_9", "item_10", "item_12", "item_13", "item_14", "item_16")
    assert len(bam.ITEMS) == 23 and bam.ITEMS[6:13] == tuple(f"item_7{c}" for c in "abcdefg")
    # Items 7a-7g and 17 are in no scale.
    assert not set(bam.STANDALONE) & set(bam.SCORED)
    assert bam.SCALE_MAX == {"use": 12, "risk": 24, "protective": 24}


def test_score_form_by_hand() -> None:
    answers = {
        f"item_{i}": v
        for i, v in zip(
            range(1, 18), [3, 1, 2, 0, 0, 1, 9, 4, 2, 1, 3, 0, 4, 1, 2, 0, 4], strict=True
        )
    }
    del answers["item_7"]
    answers |= {item: 4 for item in bam.ITEM_7}
    # Use 0+0+1; Risk 3+1+2+4+3+2 (1, 2, 3, 8, 11, 15); Protective 2+1+0+4+1+0 (9, 10, 12-14, 16)
    assert bam.score_form(answers) == {
        "use_score": 1,
        "risk_score": 15,
        "protective_score": 8,
        "is_use_flagged": True,
        "is_risk_flagged": True,
        "is_protective_flagged": True,
    }


def test_a_scale_with_an_unanswered_item_has_no_score() -> None:
    answers = {item: 2 for item in bam.SCORED}
    del answers["item_11"]
    got = bam.score_form(answers)
    assert got["risk_score"] is None and got["is_risk_flagged"] is None
    assert (got["use_score"], got["protective_score"]) == (6, 12)


def _forms(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["date", "recall_days", "use_score", "risk_score", "protective_score"],
    ).assign(
        is_use_flagged=lambda f: f.use_score >= 1,
        is_risk_flagged=lambda f: f.risk_score >= 12,
        is_protective_flagged=lambda f: f.protective_score <= 12,
    )


def test_bam_figure_draws_each_scale_against_its_cut_off() -> None:
    spec = bam_trend(
        _forms((dt.date(2026, 10, 1), 7, 0, 9, 20), (dt.date(2026, 10, 29), 30, 2, 14, 11))
    )
    go.Figure(spec)  # every property name is a real one
    use, risk, protective = spec["data"]
    assert (use["yaxis"], risk["yaxis"], protective["yaxis"]) == ("y", "y2", "y3")
    assert risk["y"] == [9, 14] and risk["marker"]["symbol"] == ["circle", "triangle-up"]
    assert protective["marker"]["symbol"] == ["circle", "triangle-up"]
    cuts = [(s["yref"], s["y0"]) for s in spec["layout"]["shapes"] if s["type"] == "line"]
    assert cuts == [("y", 1), ("y2", 12), ("y3", 12)]
    shaded = [
        (s["yref"], s["y0"], s["y1"]) for s in spec["layout"]["shapes"] if s["type"] == "rect"
    ]
    # Flagged sides: Use and Risk at or above the cut-off, Protective at or below it.
    assert shaded == [("y", 0.5, 12.5), ("y2", 11.5, 24.5), ("y3", -0.5, 12.5)]
    assert spec["layout"]["yaxis3"]["range"] == [-0.5, 24.5]


def test_bam_figure_with_one_form_or_none() -> None:
    one = bam_trend(_forms((dt.date(2026, 11, 2), 30, 0, 3, 22)))
    assert one["layout"]["xaxis"]["range"] == ["2026-10-26", "2026-11-09"]
    empty = bam_trend(_forms())
    assert empty["data"] == []
    assert empty["layout"]["annotations"][0]["text"] == (
        "No Brief Addiction Monitor forms in this period."
    )

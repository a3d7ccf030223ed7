"""Small-cell suppression: primary cells, then complements, on a hand-made table."""

from __future__ import annotations

import random

from etl.export.aggregate import ALL, groups
from etl.export.suppression import Cell, suppress


def _rows():
    # One program, one month: the program row and three counselors.
    figures = {
        ALL: (50, 12, 3),
        "A": (25, 6, 0),
        "B": (17, 4, 3),
        "C": (8, 2, 0),
    }
    return [
        {
            "program": "P",
            "period": "2026-03",
            "counselor": who,
            "census_end": c,
            "admissions": a,
            "discharges": d,
        }
        for who, (c, a, d) in figures.items()
    ]


def test_hand_made_table_primary_and_complementary():
    rows = _rows()
    cells = [
        Cell((i, col), r[col])
        for i, r in enumerate(rows)
        for col in ("census_end", "admissions", "discharges")
    ]
    result = suppress(cells, groups(rows), threshold=11)
    # Primary: counts of 1-10 (zeros stay).
    assert result.primary == {
        (0, "discharges"),
        (1, "admissions"),
        (2, "admissions"),
        (2, "discharges"),
        (3, "census_end"),
        (3, "admissions"),
    }
    # C's census 8 alone would be 50 - 25 - 17: the smallest other counselor (B, 17) goes too,
    # not the program total. The program's discharges alone hide nothing once its admissions
    # (with two censuses) are known: its admissions go. A's and C's zero discharges go with
    # their suppressed admissions for the same reason.
    assert result.complementary == {
        (2, "census_end"),
        (0, "admissions"),
        (1, "discharges"),
        (3, "discharges"),
    }


def test_a_single_suppressed_cell_is_never_left_alone_in_a_group():
    rng = random.Random(4)
    for _ in range(300):
        n = rng.randint(1, 6)
        parts = [rng.choice([0, rng.randint(1, 10), rng.randint(11, 60)]) for _ in range(n)]
        keys = ["total", *range(n)]
        cells = [Cell("total", sum(parts))] + [Cell(i, v) for i, v in enumerate(parts)]
        hidden = suppress(cells, [keys]).hidden
        assert len(hidden) != 1
        assert {i for i, v in enumerate(parts) if 0 < v < 11} <= hidden
        if hidden:  # the total is only hidden when nothing else can be
            published = [i for i in range(n) if i not in hidden]
            assert "total" not in hidden or not published or sum(parts) < 11


def test_rates_are_suppressed_on_their_client_base_alone():
    cells = [
        Cell("rate_small", 10, counts=False),
        Cell("rate_ok", 11, counts=False),
        Cell("zero_base", 0, counts=False),
        Cell("zero_count", 0),
    ]
    assert suppress(cells, []).primary == {"rate_small", "zero_base"}

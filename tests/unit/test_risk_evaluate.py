"""Evaluation arithmetic on hand-made client-days: labels, horizons, top-k lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.risk.evaluate import lapse_labels, precision_at_k


def days(client: int, n: int, lapses=(), observed=None, counselor: int = 1) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "client_key": client,
            "counselor_key": counselor,
            "date": pd.date_range("2026-01-01", periods=n, freq="D"),
            "used_reported": [d in lapses for d in range(n)],
            "screen_positive": False,
            "observed": True if observed is None else [d in observed for d in range(n)],
        }
    )
    return frame


def test_label_looks_ahead_within_the_client_only():
    frame = pd.concat([days(1, 10, lapses=(5,)), days(2, 10, lapses=(0,))], ignore_index=True)
    label, eligible = lapse_labels(frame, horizon=3)
    # client 1: days 2, 3, 4 have the lapse of day 5 within 3 days; day 5 itself does not
    assert list(np.flatnonzero(label[:10])) == [2, 3, 4]
    # client 2's lapse on its first day is not a label for client 1's last days
    assert not label[7:10].any() and not label[10:].any()
    # the last 3 days have an incomplete horizon
    assert list(eligible[:10]) == [True] * 7 + [False] * 3


def test_silent_horizons_are_left_out():
    frame = days(1, 10, observed=(0, 1, 2, 8, 9))
    _, eligible = lapse_labels(frame, horizon=3)
    # horizons (3, 4, 5), (4, 5, 6) and (5, 6, 7) hold nothing recorded
    assert not eligible[2] and not eligible[3] and not eligible[4]
    assert eligible[1] and eligible[5]  # (2, 3, 4) and (6, 7, 8) do


def test_precision_at_k_per_counselor_and_day():
    frame = pd.DataFrame(
        {
            "client_key": [1, 2, 3, 4, 5, 6],
            "counselor_key": [1, 1, 1, 2, 2, 2],
            "date": pd.to_datetime(["2026-01-01"] * 6),
        }
    )
    score = np.array([9.0, 5.0, 1.0, 8.0, 7.0, 0.0])
    label = np.array([True, False, True, False, True, True])
    precision, recall = precision_at_k(frame, score, label, k=2)
    # counselor 1 top 2: clients 1 (lapse), 2; counselor 2 top 2: clients 4, 5 (lapse)
    assert precision == 0.5
    assert recall == 0.5

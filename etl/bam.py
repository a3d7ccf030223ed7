"""The Brief Addiction Monitor (BAM): its items, its three scales and their cut-offs.

One place for the instrument, shared by the ingest kind, the synthetic program, the risk rule
and the client page, so a scale is summed the same way everywhere. Each item is scored 0-4;
item 7 (other drugs) is asked per drug class as ``item_7a`` ... ``item_7g``. Items 7 and 17
(satisfaction with progress) belong to no scale and are kept apart, as the BAM manual does.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

ITEM_LO, ITEM_HI = 0, 4
RECALL_DAYS = (30, 7)  # the monthly form, and the weekly form of intensive outpatient programs
ITEM_7 = tuple(f"item_7{s}" for s in "abcdefg")
ITEMS: tuple[str, ...] = (
    *(f"item_{i}" for i in range(1, 7)),
    *ITEM_7,
    *(f"item_{i}" for i in range(8, 18)),
)
STANDALONE = (*ITEM_7, "item_17")

USE = ("item_4", "item_5", "item_6")
RISK = ("item_1", "item_2", "item_3", "item_8", "item_11", "item_15")
PROTECTIVE = ("item_9", "item_10", "item_12", "item_13", "item_14", "item_16")
SCALES: dict[str, tuple[str, ...]] = {"use": USE, "risk": RISK, "protective": PROTECTIVE}
SCORED: tuple[str, ...] = (*USE, *RISK, *PROTECTIVE)

# Flags: any use; risk factors at or above 12; protective factors at or below 12.
USE_FLAG_AT = 1
RISK_FLAG_AT = 12
PROTECTIVE_FLAG_AT = 12
SCALE_MAX = {name: ITEM_HI * len(items) for name, items in SCALES.items()}


def scores(items: pd.DataFrame) -> pd.DataFrame:
    """Use, Risk and Protective sums and their flags for each form (row) of ``items``.

    A scale with an unanswered item has no score (and no flag) rather than a low one: a blank
    is not a zero on this instrument.
    """
    out = pd.DataFrame(index=items.index)
    for name, cols in SCALES.items():
        part = items[list(cols)].astype("Int64")
        total = part.sum(axis=1, skipna=True).astype("Int64")
        out[f"{name}_score"] = total.where(part.notna().all(axis=1), pd.NA)
    out["is_use_flagged"] = (out["use_score"] >= USE_FLAG_AT).astype("boolean")
    out["is_risk_flagged"] = (out["risk_score"] >= RISK_FLAG_AT).astype("boolean")
    out["is_protective_flagged"] = (out["protective_score"] <= PROTECTIVE_FLAG_AT).astype("boolean")
    return out


def score_form(answers: Mapping[str, int]) -> dict[str, int | bool | None]:
    """The same for one form given as ``{item: answer}`` (synthetic forms, tests)."""
    row = scores(pd.DataFrame([{c: answers.get(c) for c in ITEMS}]))
    return {
        k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
        for k, v in row.iloc[0].items()
    }

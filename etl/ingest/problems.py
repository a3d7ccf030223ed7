"""Row problems found while validating a chunk, kept apart from the rows themselves.

Every rejected row ends in the quarantine with the first problem's column and value and all its
reasons joined, so a row with two faults is fixed once, not twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Problems:
    n_rows: int
    positions: list[int] = field(default_factory=list)
    columns: list[str | None] = field(default_factory=list)
    values: list[str | None] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, position: int, column: str | None, value: object, reason: str) -> None:
        self.positions.append(int(position))
        self.columns.append(column)
        self.values.append(None if value is None or _isna(value) else str(value))
        self.reasons.append(reason)

    def rejected_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_rows, dtype=bool)
        if self.positions:
            mask[np.asarray(self.positions, dtype=np.int64)] = True
        return mask

    def by_row(self, column_order: tuple[str, ...] = ()) -> pd.DataFrame:
        """One line per rejected row: position, first column and value, all reasons.

        Reasons are listed in the file's column order, so the message reads left to right.
        """
        if not self.positions:
            return pd.DataFrame(
                {"position": pd.Series([], dtype="int64"), "column": [], "value": [], "reason": []}
            )
        rank = {c: i for i, c in enumerate(column_order)}
        frame = pd.DataFrame(
            {
                "position": self.positions,
                "column": self.columns,
                "value": self.values,
                "reason": self.reasons,
                "rank": [rank.get(c, len(rank)) for c in self.columns],
                "order": range(len(self.positions)),
            }
        )
        # A cell that could not be read is also null: keep its first reason, not "is missing".
        frame = frame.drop_duplicates(["position", "column"])
        frame = frame.sort_values(["position", "rank", "order"], kind="stable")
        first = frame.drop_duplicates("position")
        reasons = (
            frame.drop_duplicates(["position", "reason"])
            .groupby("position", sort=True)["reason"]
            .agg("; ".join)
        )
        return pd.DataFrame(
            {
                "position": first["position"].to_numpy(dtype=np.int64),
                "column": first["column"].to_numpy(dtype=object),
                "value": first["value"].to_numpy(dtype=object),
                "reason": reasons.loc[first["position"]].to_numpy(dtype=object),
            }
        )


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

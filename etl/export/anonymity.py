"""k-anonymity and l-diversity over one row per person, with a generalisation ladder.

A failing equivalence class (fewer than k people, or fewer than l distinct values of the
sensitive attribute) is generalised as a whole, one rung at a time, and whatever still fails
after the last rung is suppressed. Classes that pass are never touched, and every rung writes
labels no untouched class uses, so a repaired class cannot shrink a passing one. Blank
quasi-identifiers are a value of their own ("unknown"), never dropped before grouping (the
pycanon pitfall in SECURITY.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from etl.export.generalise import age_band

QUASI_IDENTIFIERS = ("age_band", "sex", "zip3", "program", "admission_year")
SENSITIVE = "any_use"
GENERALISED = "*"


@dataclass(frozen=True)
class Anonymity:
    k: int  # smallest equivalence class, people (0 when nothing is left)
    l_div: int  # fewest distinct sensitive values in a class
    people: int


def measure(people: pd.DataFrame, qis=QUASI_IDENTIFIERS, sensitive: str = SENSITIVE) -> Anonymity:
    if people.empty:
        return Anonymity(0, 0, 0)
    groups = people.fillna("unknown").groupby(list(qis), dropna=False)
    return Anonymity(
        k=int(groups.size().min()),
        l_div=int(groups[sensitive].nunique().min()),
        people=len(people),
    )


def _failing(people: pd.DataFrame, k: int, l_div: int) -> pd.Series:
    groups = people.groupby(list(QUASI_IDENTIFIERS), dropna=False)
    size = groups[SENSITIVE].transform("size")
    diverse = groups[SENSITIVE].transform("nunique")
    return (size < k) | (diverse < l_div)


def _wide_age(df: pd.DataFrame) -> pd.Series:
    return df["age"].map(lambda a: age_band(None if pd.isna(a) else int(a), wide=True))


LADDER: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    ("zip3", lambda df: pd.Series(GENERALISED, index=df.index)),
    ("age_band", _wide_age),
    ("admission_year", lambda df: pd.Series(GENERALISED, index=df.index)),
    ("sex", lambda df: pd.Series(GENERALISED, index=df.index)),
)


@dataclass(frozen=True)
class Repair:
    people: pd.DataFrame  # survivors, generalised where needed
    generalised: int  # people whose quasi-identifiers were coarsened
    suppressed: int  # people removed


def enforce(people: pd.DataFrame, k: int, l_div: int = 1) -> Repair:
    """Generalise, then suppress, until every class has >= k people and >= l sensitive values."""
    df = people.copy()
    for col in QUASI_IDENTIFIERS:
        df[col] = df[col].astype("string").fillna("unknown")
    touched = pd.Series(False, index=df.index)
    for column, rung in LADDER:
        bad = _failing(df, k, l_div)
        if not bad.any():
            break
        df.loc[bad, column] = rung(df.loc[bad])
        touched |= bad
    bad = _failing(df, k, l_div) if len(df) else pd.Series(dtype=bool)
    kept = df.loc[~bad]
    return Repair(
        people=kept,
        generalised=int((touched & ~bad).sum()),
        suppressed=int(bad.sum()),
    )

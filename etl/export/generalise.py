"""Generalised client attributes: age bands (90+ as one band) and ZIP3 with the restricted list."""

from __future__ import annotations

# ZIP3 areas of 20,000 people or fewer (2000 census), which Safe Harbor requires as 000.
RESTRICTED_ZIP3 = frozenset(
    {"036", "059", "063", "102", "203", "556", "692", "790", "821"}
    | {"823", "830", "831", "878", "879", "884", "890", "893"}
)
UNKNOWN = "unknown"

_BANDS = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 74, "65-74"),
    (75, 89, "75-89"),
)
# The coarser ladder step, used only for rows that break k-anonymity.
_WIDE = ((0, 34, "0-34"), (35, 54, "35-54"), (55, 200, "55+"))


def age_band(age: int | None, *, wide: bool = False) -> str:
    """Age at admission as a band; 90 and over is always one band (never the age itself)."""
    if age is None or age < 0:
        return UNKNOWN
    if not wide and age >= 90:
        return "90+"
    for lo, hi, label in _WIDE if wide else _BANDS:
        if lo <= age <= hi:
            return label
    return UNKNOWN


def zip3(value: str | None) -> str:
    """The first three ZIP digits, or 000 for restricted areas; anything malformed is unknown."""
    if not value:
        return UNKNOWN
    z = str(value).strip()[:3]
    if len(z) != 3 or not z.isdigit():
        return UNKNOWN
    return "000" if z in RESTRICTED_ZIP3 else z

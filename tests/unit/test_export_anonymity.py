"""The k/l repair ladder and the generalisation rules, without a database."""

from __future__ import annotations

import pandas as pd

from etl.export.anonymity import QUASI_IDENTIFIERS, enforce, measure
from etl.export.generalise import RESTRICTED_ZIP3, age_band, zip3


def _people(rows):
    cols = ["age", "age_band", "sex", "zip3", "program", "admission_year", "any_use"]
    return pd.DataFrame(rows, columns=cols)


def test_age_bands_put_everyone_over_89_in_one_band():
    assert {age_band(a) for a in (90, 95, 104)} == {"90+"}
    assert age_band(89) == "75-89" and age_band(None) == "unknown"


def test_every_restricted_zip3_becomes_000_including_890():
    assert len(RESTRICTED_ZIP3) == 17 and "890" in RESTRICTED_ZIP3
    assert {zip3(z + "12") for z in RESTRICTED_ZIP3} == {"000"}
    assert zip3("02139") == "021" and zip3("ab1") == "unknown" and zip3(None) == "unknown"


def test_a_blank_quasi_identifier_is_its_own_class_not_dropped():
    rows = [(30, "25-34", "female", "123", "P", "2026", i % 2) for i in range(5)]
    rows.append((30, "25-34", "female", None, "P", "2026", 1))
    people = _people(rows)
    assert measure(people.fillna("unknown")).k == 1  # the blank one stands alone
    repaired = enforce(people, k=5, l_div=1)
    assert repaired.suppressed == 1 and len(repaired.people) == 5


def test_a_class_without_diversity_is_generalised_then_kept():
    same = [(40, "35-44", "male", "456", "P", "2026", 1) for _ in range(5)]
    other = [(50, "45-54", "male", "456", "P", "2026", 0) for _ in range(5)]
    repaired = enforce(_people(same + other), k=5, l_div=2)
    # both classes fail l=2; the wide age band (35-54) merges them into one diverse class
    assert repaired.suppressed == 0 and repaired.generalised == 10
    out = repaired.people
    assert set(out["age_band"]) == {"35-54"} and set(out["zip3"]) == {"*"}
    groups = out.groupby(list(QUASI_IDENTIFIERS))
    assert groups.size().min() >= 5 and groups["any_use"].nunique().min() == 2

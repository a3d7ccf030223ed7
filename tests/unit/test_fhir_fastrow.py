"""The one-pass check-in row gives exactly the general path's row, or leaves the resource to it.

Whenever ``CheckinRows.row`` returns a row, the resource must pass the fast check (so it is
valid FHIR) and ``records.response_row`` must make the same row with the same paths out of it.
Checked on the contract's shape, the benchmark's shape, and the fast check's mutations.
"""

from __future__ import annotations

import random

import pytest
from test_fhir_fastcheck import BASE, BENIGN, MUTATIONS, _set

from etl.fhir import records
from etl.fhir.fastcheck import plain_response
from etl.fhir.fastrow import CheckinRows
from etl.ingest.kinds import BY_NAME

COLUMNS = BY_NAME["checkins"].columns
ROWS = CheckinRows(COLUMNS)

IDENTIFIED = {
    **BASE,
    "id": "K17",
    "subject": {"identifier": {"system": "https://caseload.dev/fhir/client", "value": "C000486"}},
    "authored": "2025-12-04T15:34:01Z",
    "item": [
        {"linkId": "craving", "answer": [{"valueInteger": 8}]},
        {"linkId": "stress", "answer": [{"valueInteger": 2}]},
        {"linkId": "mood", "answer": [{"valueInteger": 10}]},
        {"linkId": "sleep_quality", "answer": [{"valueInteger": 4}]},
        {"linkId": "sleep_hours", "answer": [{"valueDecimal": 3.4}]},
        {"linkId": "used_since_last", "answer": [{"valueBoolean": True}]},
        {"linkId": "support_contact", "answer": [{"valueBoolean": False}]},
        {"linkId": "not-ours", "answer": [{"valueString": "kept out"}]},
        {"linkId": "coping", "answer": [{"valueString": "walk"}]},
    ],
}


def _subject(ref: dict) -> str | None:
    if ref.get("reference"):
        text = str(ref["reference"])
        return text.split("/", 1)[1] if text.startswith("Patient/C") else None
    value = (ref.get("identifier") or {}).get("value")
    return str(value) if value else None


def _same_as_general(resource: dict) -> bool:
    """Asserts agreement; True when the one-pass row was taken."""
    fast = ROWS.row(resource, _subject)
    if fast is None:
        return False
    assert plain_response(resource), resource
    general = records.response_row(resource, "checkins", _subject)
    assert isinstance(general, records.Row), (resource, general)
    assert fast[0] == [general.values.get(c, "") for c in COLUMNS]
    assert fast[1] == general.paths
    return True


def test_the_contract_shapes_take_the_one_pass_row() -> None:
    assert _same_as_general(BASE)
    assert _same_as_general(IDENTIFIED)
    values = dict(zip(COLUMNS, ROWS.row(IDENTIFIED, _subject)[0], strict=True))
    assert values["client_id"] == "C000486"
    assert values["sleep_hours"] == "3.4"
    assert values["used_since_last"] == "yes" and values["support_contact"] == "no"
    assert values["triggers"] == "" and values["note"] == ""
    assert dict(zip(COLUMNS, ROWS.row(BASE, _subject)[0], strict=True))["triggers"] == (
        "people;places"
    )


@pytest.mark.parametrize(
    "path,value", MUTATIONS + BENIGN, ids=[f"{p}={v!r}"[:60] for p, v in MUTATIONS + BENIGN]
)
def test_a_mutation_gives_the_general_row_or_goes_to_the_general_path(path, value) -> None:
    _same_as_general(_set(BASE, path, value))


@pytest.mark.parametrize(
    "resource",
    [
        {**BASE, "status": "entered-in-error"},  # a withdrawal, not a row
        {**BASE, "status": "in-progress"},  # skipped
        {**BASE, "questionnaire": "https://caseload.dev/fhir/Questionnaire/bam"},
        {**BASE, "subject": {"reference": "Patient/unknown"}},  # unresolved: quarantined
        {k: v for k, v in BASE.items() if k != "authored"},  # missing time: quarantined
        _set(BASE, ("item", 0, "answer"), [{"valueDecimal": 3.0}]),  # wrong type: quarantined
        _set(BASE, ("item", 2, "answer"), [{"valueCoding": {"code": "Y"}}]),  # coded yes
        _set(BASE, ("item", 0, "answer"), [{"valueInteger": 1}, {"valueInteger": 2}]),
    ],
)
def test_what_needs_a_reason_or_a_reading_goes_to_the_general_path(resource) -> None:
    assert ROWS.row(resource, _subject) is None


def test_random_combinations_agree_with_the_general_path() -> None:
    rng = random.Random(20261202)
    taken = 0
    for _ in range(300):
        mutated = IDENTIFIED if rng.random() < 0.5 else BASE
        for path, value in rng.sample(BENIGN, rng.randint(0, 3)) + rng.sample(
            MUTATIONS, rng.randint(0, 2)
        ):
            try:
                mutated = _set(mutated, path, value)
            except (KeyError, IndexError, TypeError):
                continue
        taken += _same_as_general(mutated)
    assert 0 < taken < 300

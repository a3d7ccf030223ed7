"""The fast check of plain check-in responses never accepts what the R4B model refuses.

It may send valid resources to the model (that only costs time); it must never pass one the
model would reject. Checked on the contract's own shape and on a few hundred mutations of it.
"""

from __future__ import annotations

import copy
import random

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from etl.fhir.fastcheck import plain_response

BASE = {
    "resourceType": "QuestionnaireResponse",
    "id": "CK-0001.a",
    "questionnaire": "https://caseload.dev/fhir/Questionnaire/daily-checkin|1.0.0",
    "status": "completed",
    "subject": {"reference": "Patient/C00001"},
    "authored": "2026-11-02T08:30:00-05:00",
    "item": [
        {"linkId": "craving", "answer": [{"valueInteger": 3}]},
        {"linkId": "sleep_hours", "answer": [{"valueDecimal": 7.5}]},
        {"linkId": "used_since_last", "answer": [{"valueBoolean": False}]},
        {
            "linkId": "triggers",
            "answer": [
                {
                    "valueCoding": {
                        "system": "https://caseload.dev/fhir/CodeSystem/trigger",
                        "code": "people",
                    }
                },
                {"valueCoding": {"code": "places", "display": "Places"}},
            ],
        },
        {"linkId": "note", "answer": [{"valueString": "rough morning\nbetter now"}]},
    ],
}

# (path, value): set the element at path (a tuple of keys and indexes) to value.
MUTATIONS = (
    [(("id",), v) for v in ("has space", "", "x" * 65, 123, None, "ü")]
    + [(("status",), v) for v in ("done", None, "", "completed ")]
    + [(("questionnaire",), v) for v in ("has space", "", 5, None)]
    + [
        (("subject",), v)
        for v in (
            {},
            {"reference": ""},
            {"reference": " Patient/x"},
            {"reference": None},
            {"identifier": {"value": ""}},
            {"identifier": {"system": "a b", "value": "x"}},
            {"identifier": {}},
            {"identifier": {"value": 5}},
            {"reference": "Patient/x", "display": "Alex"},
            "Patient/x",
        )
    ]
    + [
        (("authored",), v)
        for v in (
            "2026-13-01T00:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-11-02T08:30:00",
            "2026-11-02",
            "2026-11-02T25:00:00Z",
            "2026-11-02T08:30:00+15:00",
            "2026-11-02T08:30:60Z",
            "2026-11-02T08:30:00.1234567Z",
            "x",
            20261102,
        )
    ]
    + [(("item",), v) for v in ([], None, {}, [{}], [{"linkId": ""}], [{"linkId": "a"}])]
    + [
        (("item", 0, "answer"), v)
        for v in (
            [],
            None,
            [{}],
            [{"valueInteger": True}],
            [{"valueInteger": 2**31}],
            [{"valueInteger": -(2**31) - 1}],
            [{"valueInteger": "3"}],
            [{"valueInteger": 3.5}],
            [{"valueInteger": None}],
            [{"valueInteger": 1, "valueString": "1"}],
            [{"valueDecimal": float("nan")}],
            [{"valueDecimal": float("inf")}],
            [{"valueDecimal": "1.5"}],
            [{"valueDecimal": True}],
            [{"valueBoolean": "yes"}],
            [{"valueBoolean": 1}],
            [{"valueString": ""}],
            [{"valueString": " pad"}],
            [{"valueString": 7}],
            [{"valueCoding": {}}],
            [{"valueCoding": {"code": "a  b"}}],
            [{"valueCoding": {"code": "x", "system": ""}}],
            [{"valueCoding": {"code": "x", "version": "1"}}],
            [{"valueCoding": "people"}],
            [{"valueDate": "2026-11-02"}],
            [{"valueQuantity": {"value": 1}}],
        )
    ]
    + [
        (("item", 0, "text"), "How strong?"),
        (("item", 0, "linkId"), None),
        (("item", 0, "linkId"), 7),
        (("item", 0, "linkId"), " craving"),
        (("meta",), {"versionId": "1"}),
        (("text",), None),
        (("resourceType",), "Observation"),
    ]
)


# Values of the contract's plain shape: the fast check must accept them (and the model too).
BENIGN = [
    (("id",), "K9"),
    (("authored",), "2026-11-02T08:30:00.5Z"),
    (("authored",), "2026-03-08T02:30:00+14:00"),
    (("item", 0, "answer"), [{"valueInteger": 2**31 - 1}]),
    (("item", 0, "answer"), [{"valueInteger": -5}]),
    (("item", 1, "answer"), [{"valueDecimal": 8}]),
    (("item", 4, "answer"), [{"valueString": "ünïcödé ☺ sleep"}]),
    (("subject",), {"identifier": {"system": "https://caseload.dev/fhir/client", "value": "C1"}}),
    (("subject",), {"identifier": {"value": "C1"}}),
    (("status",), "entered-in-error"),
]


def _set(resource: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(resource)
    here = out
    for step in path[:-1]:
        here = here[step]
    here[path[-1]] = value
    return out


def _model_ok(resource: dict) -> bool:
    try:
        QuestionnaireResponse.model_validate(resource)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


def test_the_contract_shape_takes_the_fast_path() -> None:
    assert plain_response(BASE)
    assert _model_ok(BASE)


@pytest.mark.parametrize("path,value", MUTATIONS, ids=[f"{p}={v!r}"[:60] for p, v in MUTATIONS])
def test_a_mutation_the_fast_check_passes_is_valid_for_the_model(path, value) -> None:
    mutated = _set(BASE, path, value)
    if plain_response(mutated):
        assert _model_ok(mutated), mutated


@pytest.mark.parametrize("path,value", BENIGN, ids=[f"{p}={v!r}"[:60] for p, v in BENIGN])
def test_plain_values_take_the_fast_path(path, value) -> None:
    mutated = _set(BASE, path, value)
    assert plain_response(mutated)
    assert _model_ok(mutated)


def test_random_combinations_never_pass_what_the_model_refuses() -> None:
    rng = random.Random(20261201)
    fast = refused_fast_but_valid = 0
    for _ in range(300):
        mutated = BASE
        changes = rng.sample(BENIGN, rng.randint(0, 3)) + rng.sample(MUTATIONS, rng.randint(0, 2))
        for path, value in changes:
            try:
                mutated = _set(mutated, path, value)
            except (KeyError, IndexError, TypeError):
                continue
        if plain_response(mutated):
            fast += 1
            assert _model_ok(mutated), mutated
        elif _model_ok(mutated):
            refused_fast_but_valid += 1
    assert fast > 0 and refused_fast_but_valid > 0  # both sides of the check were exercised

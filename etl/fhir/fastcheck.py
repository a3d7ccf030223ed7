"""A strict, fast check for the one shape that arrives by the million: a check-in (or BAM)
QuestionnaireResponse written exactly as the published contract describes it.

Validating a QuestionnaireResponse against its ``fhir.resources`` R4B model costs about a
millisecond and a half (the library's validators run in Python for every nested element), 30
times what the rest of its load costs. This check accepts only a narrow subset of valid FHIR:
the elements the contract uses, each primitive within its FHIR type's lexical rules and the
stricter of the readings (a dateTime with its time and offset that parses, an integer within
32 bits, strings without surrounding spaces). Whatever it does not accept in full, however
valid, goes to the model as before, so it can only make the common case faster, never let
through what the model would refuse; ``tests/unit/test_fhir_fastcheck.py`` checks that claim
against the model on generated and mutated resources.
"""

from __future__ import annotations

import datetime as dt
import math
import re

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_URI = re.compile(r"\S+")
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_STRING = re.compile(r"\S(.*\S)?", re.DOTALL)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)"
)
_STATUS = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
_TOP = frozenset({"resourceType", "id", "questionnaire", "status", "subject", "authored", "item"})
_INT32 = (-(2**31), 2**31 - 1)


def _string(value: object) -> bool:
    return isinstance(value, str) and len(value) < 1_000_000 and bool(_STRING.fullmatch(value))


def _uri(value: object) -> bool:
    return isinstance(value, str) and bool(_URI.fullmatch(value))


def _datetime(value: object) -> bool:
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _coding(value: object) -> bool:
    if not isinstance(value, dict) or not value or not set(value) <= {"system", "code", "display"}:
        return False
    if "system" in value and not _uri(value["system"]):
        return False
    if "code" in value and not (isinstance(value["code"], str) and _CODE.fullmatch(value["code"])):
        return False
    return "display" not in value or _string(value["display"])


def _answer(answer: object) -> bool:
    if not isinstance(answer, dict) or len(answer) != 1:
        return False
    ((key, value),) = answer.items()
    if key == "valueInteger":
        return type(value) is int and _INT32[0] <= value <= _INT32[1]
    if key == "valueDecimal":
        return type(value) in (int, float) and math.isfinite(value)
    if key == "valueBoolean":
        return type(value) is bool
    if key == "valueString":
        return _string(value)
    if key == "valueCoding":
        return _coding(value)
    return False


def _reference(value: object) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    if "reference" in value:
        return _string(value["reference"])
    ident = value.get("identifier")
    if not isinstance(ident, dict) or not ident or not set(ident) <= {"system", "value"}:
        return False
    if "system" in ident and not _uri(ident["system"]):
        return False
    return "value" in ident and _string(ident["value"])


def plain_response(resource: dict) -> bool:
    """True when the resource is a QuestionnaireResponse of exactly the contract's plain shape
    (and therefore valid FHIR R4); False means: ask the model."""
    if resource.get("resourceType") != "QuestionnaireResponse" or not set(resource) <= _TOP:
        return False
    if "id" in resource and not (isinstance(resource["id"], str) and _ID.fullmatch(resource["id"])):
        return False
    if resource.get("status") not in _STATUS:
        return False
    if "questionnaire" in resource and not _uri(resource["questionnaire"]):
        return False
    if "subject" in resource and not _reference(resource["subject"]):
        return False
    if "authored" in resource and not _datetime(resource["authored"]):
        return False
    items = resource.get("item", [])
    if not isinstance(items, list) or ("item" in resource and not items):
        return False
    for item in items:
        if not isinstance(item, dict) or set(item) != {"linkId", "answer"}:
            return False
        if not _string(item["linkId"]):
            return False
        answers = item["answer"]
        if not isinstance(answers, list) or not answers:
            return False
        if not all(_answer(a) for a in answers):
            return False
    return True

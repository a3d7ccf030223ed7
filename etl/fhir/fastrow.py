"""The plain check-in QuestionnaireResponse checked and turned into a row in one pass.

A million check-ins arrive in one shape (``etl.fhir.fastcheck``). Checking that shape and then
walking the resource again to read its answers (``records.response_row``) cost more than the
rest of their load; ``checkin_row`` does both at once and hands back the row as a list in the
kind's column order, ready to be a column of a frame. It accepts only what ``plain_response``
accepts, and only resources whose row ``response_row`` would produce without a problem (a
completed or amended response to the daily check-in, a subject that resolves, an ``authored``
time, each answer of its declared type); for everything else it returns None and the resource
takes the general path, model validation included. ``tests/unit/test_fhir_fastrow.py`` checks
that both paths give the same row on the contract's shape and on mutations of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from etl.fhir import contract as c
from etl.fhir.fastcheck import _CODE, _ID, _INT32, _STRING, _URI, _answer, _datetime, _string
from etl.fhir.fastcheck import _TOP as _PLAIN_KEYS
from etl.fhir.fastcheck import _reference as _plain_reference

_CHECKIN_URL = c.QUESTIONNAIRES["daily-checkin"]
_LOADED = frozenset({"completed", "amended"})
_LO32, _HI32 = _INT32
_AT = tuple(f"item[{n}].answer[0]" for n in range(64))

Subject = Callable[[dict], str | None]


def columns_of(names: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, name in enumerate(names)}


class CheckinRows:
    """Rows of the check-in kind (``columns``: its column names in order) from plain
    QuestionnaireResponses."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.width = len(columns)
        at = columns_of(columns)
        types = c.item_types("daily-checkin")
        # linkId -> (column index, declared type, repeats); the linkIds are plain strings
        self.items = {link: (at[link], t, rep) for link, (t, rep) in types.items() if link in at}
        assert all(_string(link) for link in self.items)  # so the walk need not check them
        self.id_at, self.client_at, self.when_at = (
            at["checkin_id"],
            at["client_id"],
            at["submitted_at"],
        )

    def row(self, res: dict, subject: Subject) -> tuple[list[str], dict[str, str]] | None:
        """(values in column order, column -> path of its value), or None: the general path."""
        if (
            res.get("resourceType") != "QuestionnaireResponse"
            or not res.keys() <= _PLAIN_KEYS
            or res.get("status") not in _LOADED
        ):
            return None
        rid = res.get("id")
        if type(rid) is not str or not _ID.fullmatch(rid):
            return None
        url = res.get("questionnaire")
        if type(url) is not str or url.split("|", 1)[0] != _CHECKIN_URL or not _URI.fullmatch(url):
            return None
        ref = res.get("subject")
        if not ref or not _plain_reference(ref):
            return None
        client = subject(ref)
        if client is None:
            return None
        when = res.get("authored")
        if not _datetime(when):
            return None
        items = res.get("item")
        if type(items) is not list or not items:
            return None
        values = [""] * self.width
        values[self.id_at], values[self.client_at], values[self.when_at] = rid, client, when
        paths = {"checkin_id": "id", "client_id": "subject", "submitted_at": "authored"}
        declared = self.items
        for n, item in enumerate(items):
            if type(item) is not dict or len(item) != 2:
                return None
            link = item.get("linkId")
            answers = item.get("answer")
            if type(answers) is not list or not answers or type(link) is not str:
                return None
            spec = declared.get(link)
            if spec is None:  # not ours: passed over, but it must still be plain FHIR
                if not _string(link) or not all(_answer(a) for a in answers):
                    return None
                continue
            at, kind, repeats = spec
            if len(answers) == 1:
                text = _ONE[kind](answers[0])
            elif repeats:
                text = _many(answers)
            else:
                return None
            if text is None:
                return None
            values[at] = text
            paths[link] = _AT[n] if n < 64 else f"item[{n}].answer[0]"
        return values, paths


def _integer(answer: object) -> str | None:
    if type(answer) is not dict or len(answer) != 1:
        return None
    v = answer.get("valueInteger")
    if type(v) is not int or not _LO32 <= v <= _HI32:
        return None
    return str(v)


def _decimal(answer: object) -> str | None:
    if type(answer) is not dict or len(answer) != 1:
        return None
    v = answer.get("valueDecimal")
    if v is None:
        return _integer(answer)
    if type(v) not in (int, float) or not math.isfinite(v):
        return None
    return str(v)


def _boolean(answer: object) -> str | None:
    if type(answer) is not dict or len(answer) != 1:
        return None
    v = answer.get("valueBoolean")
    if type(v) is not bool:
        return None  # a coded yes/no takes the general path
    return "yes" if v else "no"


def _code(answer: object) -> str | None:
    if type(answer) is not dict or len(answer) != 1:
        return None
    coding = answer.get("valueCoding")
    if type(coding) is not dict or not coding or not coding.keys() <= {"system", "code", "display"}:
        return None
    code = coding.get("code")
    if type(code) is not str or not code or not _CODE.fullmatch(code):
        return None
    system = coding.get("system")
    if system is not None and (type(system) is not str or not _URI.fullmatch(system)):
        return None
    if "system" in coding and system is None:
        return None
    if "display" in coding:
        shown = coding["display"]
        if type(shown) is not str or len(shown) >= 1_000_000 or not _STRING.fullmatch(shown):
            return None
    return code


def _many(answers: list) -> str | None:
    codes = []
    for answer in answers:
        code = _code(answer)
        if code is None:
            return None
        codes.append(code)
    return ";".join(codes)


def _text(answer: object) -> str | None:
    if type(answer) is not dict or len(answer) != 1:
        return None
    v = answer.get("valueString")
    if type(v) is not str or len(v) >= 1_000_000 or not _STRING.fullmatch(v):
        return None
    return v


_ONE: dict[str, Callable[[object], str | None]] = {
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "choice": _code,
    "string": _text,
    "text": _text,
}

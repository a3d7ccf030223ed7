"""FHIR R4 resources -> rows of the data contract, as text, with where each value came from.

Each function takes one resource (already checked against its ``fhir.resources.R4B`` model)
as plain JSON and returns what Caseload makes of it: a ``Row`` of a kind's columns (values as a
CSV would hold them, so validation stays the kind's), a ``Skip`` with the reason it is not
loaded, a ``Bad`` naming the element at fault, or a ``Withdraw`` for ``entered-in-error``.
Paths are relative to the resource: ``item[3].answer[0]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from etl.fhir import contract as c


@dataclass
class Row:
    kind: str
    values: dict[str, str]
    paths: dict[str, str] = field(default_factory=dict)


@dataclass
class Skip:
    kind: str | None
    reason: str


@dataclass
class Bad:
    kind: str | None
    reason: str
    path: str = ""
    column: str | None = None


@dataclass
class Withdraw:
    kind: str
    natural_id: str


Outcome = Row | Skip | Bad | Withdraw
Resolve = Callable[[dict], str | None]  # a Reference -> the contract id it names, or None


def join(base: str, rel: str) -> str:
    if not base:
        return rel
    if not rel:
        return base
    return base + rel if rel.startswith("[") else f"{base}.{rel}"


# -- the roster --------------------------------------------------------------------------------


def client_identifier(patient: dict) -> tuple[str, str] | None:
    """(client_id, path): Caseload's own identifier system first, else the first with a value."""
    ids = patient.get("identifier") or []
    for want_ours in (True, False):
        for i, ident in enumerate(ids):
            if not ident.get("value"):
                continue
            if not want_ours or ident.get("system") == c.CLIENT_SYSTEM:
                return str(ident["value"]), f"identifier[{i}].value"
    return None


def patient_values(patient: dict) -> tuple[dict[str, str], dict[str, str]]:
    """The identified columns of ``clients`` a Patient carries (names, birth date, contact)."""
    values: dict[str, str] = {}
    paths: dict[str, str] = {}
    names = patient.get("name") or []
    pick = next(
        (i for u in ("official", "usual") for i, n in enumerate(names) if n.get("use") == u),
        0 if names else None,
    )
    if pick is not None:
        name = names[pick]
        given = name.get("given") or []
        if given:
            values["first_name"], paths["first_name"] = given[0], f"name[{pick}].given[0]"
        if name.get("family"):
            values["last_name"], paths["last_name"] = name["family"], f"name[{pick}].family"
    if patient.get("birthDate"):
        values["date_of_birth"], paths["date_of_birth"] = patient["birthDate"], "birthDate"
    if patient.get("gender"):
        values["sex"], paths["sex"] = patient["gender"], "gender"
    addresses = patient.get("address") or []
    for i, a in sorted(enumerate(addresses), key=lambda p: p[1].get("use") != "home"):
        if a.get("postalCode"):
            values["zip"], paths["zip"] = a["postalCode"], f"address[{i}].postalCode"
            break
    for i, t in enumerate(patient.get("telecom") or []):
        column = {"phone": "phone", "email": "email"}.get(t.get("system") or "")
        if column and column not in values and t.get("value"):
            values[column], paths[column] = t["value"], f"telecom[{i}].value"
    return values, paths


def _extension(resource: dict, url: str, key: str) -> tuple[str, str] | None:
    for i, ext in enumerate(resource.get("extension") or []):
        if ext.get("url") == url and ext.get(key) is not None:
            return str(ext[key]), f"extension[{i}].{key}"
    return None


def episode_row(
    episode: dict,
    patient: dict,
    client_id: tuple[str, str],
    *,
    program: Resolve,
    staff: Resolve,
) -> tuple[Row, dict[str, str]]:
    """A roster row from an EpisodeOfCare and its Patient; also the paths into the Patient."""
    values = {"client_id": client_id[0]}
    paths = {"client_id": "patient"}
    org = episode.get("managingOrganization")
    if org:
        values["program_id"] = program(org) or ""
        paths["program_id"] = "managingOrganization"
    manager = episode.get("careManager")
    if manager:
        values["counselor_id"] = staff(manager) or ""
        paths["counselor_id"] = "careManager"
    period = episode.get("period") or {}
    if period.get("start"):
        values["admission_date"], paths["admission_date"] = period["start"][:10], "period.start"
    if period.get("end"):
        values["discharge_date"], paths["discharge_date"] = period["end"][:10], "period.end"
    for column, url, key in (
        ("checkin_schedule", c.SCHEDULE_URL, "valueCode"),
        ("primary_substance", c.SUBSTANCE_URL, "valueString"),
    ):
        found = _extension(episode, url, key)
        if found:
            values[column], paths[column] = found
    pii, pii_paths = patient_values(patient)
    values.update(pii)
    return Row("clients", values, paths), pii_paths


def identifier_of(resource: dict, system: str) -> str | None:
    """The program's (or staff member's) id on an Organization or Practitioner resource."""
    ids = resource.get("identifier") or []
    for ident in ids:
        if ident.get("system") == system and ident.get("value"):
            return str(ident["value"])
    return next((str(i["value"]) for i in ids if i.get("value")), None)


# -- check-ins and the BAM ---------------------------------------------------------------------

_STATUS_LOADED = frozenset({"completed", "amended"})
_NATURAL_ID = {"checkins": "checkin_id", "bam": "response_id"}
_WHEN = {"checkins": "submitted_at", "bam": "completed_at"}
_QUESTIONNAIRE_KIND = {"daily-checkin": "checkins", "bam": "bam"}


def questionnaire_kind(response: dict, loadable: frozenset[str]) -> str | None:
    url = c.canonical(response.get("questionnaire"))
    for name, canonical in c.QUESTIONNAIRES.items():
        if url == canonical and _QUESTIONNAIRE_KIND[name] in loadable:
            return _QUESTIONNAIRE_KIND[name]
    return None


def response_row(response: dict, kind: str, subject: Resolve) -> Outcome:
    """A QuestionnaireResponse of a published Questionnaire as a check-in (or BAM) row."""
    rid = response.get("id")
    status = response.get("status")
    if not rid:
        return Bad(kind, f"resource id is missing (it is the {_NATURAL_ID[kind]})", "id")
    if status == "entered-in-error":
        return Withdraw(kind, str(rid))
    if status not in _STATUS_LOADED:
        return Skip(kind, f"QuestionnaireResponse status {status} (only completed or amended load)")
    ref = response.get("subject")
    client = subject(ref) if ref else None
    if client is None:
        return Bad(kind, unresolved("subject", ref), "subject", "client_id")
    values = {_NATURAL_ID[kind]: str(rid), "client_id": client}
    paths = {_NATURAL_ID[kind]: "id", "client_id": "subject"}
    if response.get("authored"):
        values[_WHEN[kind]], paths[_WHEN[kind]] = response["authored"], "authored"
    types = c.item_types("daily-checkin" if kind == "checkins" else "bam")
    items = response.get("item") or []
    flat = not any("item" in i or any("item" in a for a in i.get("answer") or ()) for i in items)
    walk = ((i.get("linkId"), None, i) for i in items) if flat else _items(items, "item")
    for n, (link, here, item) in enumerate(walk):
        declared_repeats = types.get(link)
        if declared_repeats is None:
            continue
        answers = item.get("answer")
        if not answers:
            continue
        declared, repeats = declared_repeats
        convert = _CONVERT[declared]
        where = here or f"item[{n}]"
        if len(answers) == 1:
            text = convert(answers[0])
            if text is None:
                return _wrong_type(kind, link, declared, answers[0], where, 0)
        elif not repeats:
            return Bad(
                kind,
                f"{link} has {len(answers)} answers; the Questionnaire allows one",
                f"{where}.answer[1]",
                link,
            )
        else:
            texts = []
            for j, answer in enumerate(answers):
                one = convert(answer)
                if one is None:
                    return _wrong_type(kind, link, declared, answer, where, j)
                texts.append(one)
            text = ";".join(texts)
        values[link] = text
        paths[link] = f"{where}.answer[0]"
    return Row(kind, values, paths)


def _wrong_type(kind: str, link: str, declared: str, answer: dict, where: str, j: int) -> Bad:
    got = next((k for k in answer if k.startswith("value")), "no value")
    return Bad(
        kind,
        f"{link}: answer is {got}, the Questionnaire declares {declared}",
        f"{where}.answer[{j}]",
        link,
    )


def _items(items: list[dict], path: str):
    """Every item with its path, groups included (nesting is tolerated)."""
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        yield item.get("linkId"), here, item
        if item.get("item"):
            yield from _items(item["item"], f"{here}.item")
        for j, answer in enumerate(item.get("answer") or []):
            if answer.get("item"):
                yield from _items(answer["item"], f"{here}.answer[{j}].item")


def _integer(answer: dict) -> str | None:
    v = answer.get("valueInteger")
    return None if v is None else str(v)


def _decimal(answer: dict) -> str | None:
    v = answer.get("valueDecimal", answer.get("valueInteger"))
    return None if v is None else str(v)


def _boolean(answer: dict) -> str | None:
    if "valueBoolean" in answer:
        return "yes" if answer["valueBoolean"] else "no"
    code = (answer.get("valueCoding") or {}).get("code")
    if code is None:
        return None
    low = code.lower()
    return "yes" if low in c.YES_CODES else "no" if low in c.NO_CODES else None


def _choice(answer: dict) -> str | None:
    coding = answer.get("valueCoding")
    if coding is not None and coding.get("code"):
        return str(coding["code"])
    return answer.get("valueString")


def _string(answer: dict) -> str | None:
    return answer.get("valueString")


# How an answer of each declared item type becomes contract text (None: the wrong type).
_CONVERT = {
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "choice": _choice,
    "string": _string,
    "text": _string,
}


# -- drug screens ------------------------------------------------------------------------------

_OBS_LOADED = frozenset({"final", "amended", "corrected"})


def screen_substance(observation: dict) -> str | None:
    codes = c.drug_screen_codes()
    for coding in (observation.get("code") or {}).get("coding") or []:
        if coding.get("system") == c.LOINC and coding.get("code") in codes:
            return codes[coding["code"]]
        if coding.get("system") == c.SUBSTANCE_SYSTEM and coding.get("code"):
            return str(coding["code"]).lower()
    return None


def screen_row(observation: dict, substance: str, subject: Resolve) -> Outcome:
    oid = observation.get("id")
    status = observation.get("status")
    if not oid:
        return Bad("drug_screens", "resource id is missing (it is the screen_id)", "id")
    if status == "entered-in-error":
        return Withdraw("drug_screens", str(oid))
    if status not in _OBS_LOADED:
        return Skip(
            "drug_screens", f"Observation status {status} (only final, amended or corrected load)"
        )
    ref = observation.get("subject")
    client = subject(ref) if ref else None
    if client is None:
        return Bad("drug_screens", unresolved("subject", ref), "subject", "client_id")
    values = {"screen_id": str(oid), "client_id": client, "substance": substance}
    paths = {"screen_id": "id", "client_id": "subject", "substance": "code"}
    for key in ("effectiveDateTime", "effectiveInstant"):
        if observation.get(key):
            values["collected_at"], paths["collected_at"] = observation[key], key
            break
    result = _screen_result(observation)
    if result:
        values["result"], paths["result"] = result
    else:
        paths["result"] = "valueString" if "valueString" in observation else ""
    return Row("drug_screens", values, paths)


def _screen_result(observation: dict) -> tuple[str, str] | None:
    """(result, path) from valueString, valueCodeableConcept, else the interpretation."""
    if observation.get("valueString") is not None:
        text = str(observation["valueString"]).strip()
        return c.RESULT_TEXT.get(text.lower(), text), "valueString"
    concept = observation.get("valueCodeableConcept")
    if concept:
        for j, coding in enumerate(concept.get("coding") or []):
            found = c.RESULT_CODES.get((coding.get("system"), coding.get("code")))
            if found:
                return found, f"valueCodeableConcept.coding[{j}]"
        text = (concept.get("text") or "").strip().lower()
        if text in c.RESULT_TEXT:
            return c.RESULT_TEXT[text], "valueCodeableConcept.text"
    for i, interp in enumerate(observation.get("interpretation") or []):
        for j, coding in enumerate(interp.get("coding") or []):
            found = c.RESULT_CODES.get((coding.get("system"), coding.get("code")))
            if found:
                return found, f"interpretation[{i}].coding[{j}]"
    return None


def unresolved(element: str, ref: dict | None) -> str:
    if not ref:
        return f"{element} is missing (it names the client's Patient)"
    if ref.get("reference"):
        return (
            f"{element} {ref['reference'][:80]} is not a Patient of this file or of an earlier load"
        )
    return f"{element} has neither a reference nor an identifier value"

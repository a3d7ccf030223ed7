"""Synthetic FHIR R4 resources written through Caseload's published contract, for the tests."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from etl.fhir import contract as c


def _external() -> Path:
    """``../shared/data/external`` beside the checkout (or beside any folder above it)."""
    env = os.environ.get("CASELOAD_EXTERNAL_DATA")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "external"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data/external")


EXTERNAL = _external()


def patient(pid: str, client_id: str, *, first="Alex", last="Morgan", **extra) -> dict:
    body = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": c.CLIENT_SYSTEM, "value": client_id}],
        "name": [{"use": "official", "family": last, "given": [first]}],
        "gender": "female",
        "birthDate": "1988-04-12",
        "address": [{"use": "home", "postalCode": "02139"}],
        "telecom": [
            {"system": "phone", "value": "617-555-0101"},
            {"system": "email", "value": "alex.m@example.org"},
        ],
    }
    body.update(extra)
    return body


def episode(
    eid: str,
    patient_ref: str,
    *,
    program: dict | None = None,
    staff: dict | None = None,
    start="2026-09-01",
    end: str | None = None,
    schedule="daily",
    substance="cocaine",
    status="active",
) -> dict:
    body = {
        "resourceType": "EpisodeOfCare",
        "id": eid,
        "extension": [
            {"url": c.SCHEDULE_URL, "valueCode": schedule},
            {"url": c.SUBSTANCE_URL, "valueString": substance},
        ],
        "status": status,
        "patient": {"reference": patient_ref},
        "managingOrganization": program
        or {"identifier": {"system": c.PROGRAM_SYSTEM, "value": "P1"}},
        "careManager": staff or {"identifier": {"system": c.STAFF_SYSTEM, "value": "S1"}},
        "period": {"start": start, **({"end": end} if end else {})},
    }
    return body


def answer(link: str, **value) -> dict:
    return {"linkId": link, "answer": [value]}


# The warehouse columns after (id, client, submitted, local date) that ``checkin``'s default
# answers load as: craving, stress, mood, hours, quality, used, triggers, the people and places
# trigger flags, support contact, coping and the note.
DEFAULT_ANSWERS = (
    3,
    4,
    6,
    7.5,
    4,
    False,
    "people;places",
    True,
    True,
    True,
    "walked",
    "rough morning",
)


def checkin(
    rid: str,
    subject: dict,
    *,
    authored="2026-11-02T08:30:00-05:00",
    status="completed",
    items: list[dict] | None = None,
    version: str | None = "1.0.0",
) -> dict:
    url = c.QUESTIONNAIRES["daily-checkin"]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "questionnaire": f"{url}|{version}" if version else url,
        "status": status,
        "subject": subject,
        "authored": authored,
        "item": items
        if items is not None
        else [
            answer("craving", valueInteger=3),
            answer("stress", valueInteger=4),
            answer("mood", valueInteger=6),
            answer("sleep_hours", valueDecimal=7.5),
            answer("sleep_quality", valueInteger=4),
            answer("used_since_last", valueBoolean=False),
            {
                "linkId": "triggers",
                "answer": [
                    {"valueCoding": {"system": c.TRIGGER_SYSTEM, "code": "people"}},
                    {"valueCoding": {"system": c.TRIGGER_SYSTEM, "code": "places"}},
                ],
            },
            answer(
                "support_contact",
                valueCoding={"system": c.YES_NO_SYSTEM, "code": "Y"},
            ),
            answer("coping", valueString="walked"),
            answer("note", valueString="rough morning"),
        ],
    }


def screen(
    oid: str,
    subject: dict,
    *,
    loinc="70146-6",
    status="final",
    when="2026-11-03T10:00:00Z",
    **value,
) -> dict:
    body = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": {"coding": [{"system": c.LOINC, "code": loinc}]},
        "subject": subject,
        "effectiveDateTime": when,
    }
    body.update(value or {"valueString": "POS"})
    return body


def ref(pid: str) -> dict:
    return {"reference": f"Patient/{pid}"}


def logical(client_id: str) -> dict:
    return {"identifier": {"system": c.CLIENT_SYSTEM, "value": client_id}}


def bundle(*resources: dict, kind="collection", full_urls: list[str] | None = None) -> dict:
    entries = []
    for i, res in enumerate(resources):
        entry: dict = {"resource": res}
        if full_urls:
            entry["fullUrl"] = full_urls[i]
        if kind == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def write_json(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def write_ndjson(path: Path, resources, *, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in resources)
    if gz:
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path

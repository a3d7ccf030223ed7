"""``caseload fhir export``: the warehouse's roster, check-ins and screens as Bulk NDJSON.

The files follow the same contract ``caseload ingest`` reads, so loading them into a fresh
warehouse (after its programs and staff) gives the same facts. ``roster.ndjson`` holds each
client's Patient followed by its EpisodeOfCare (a roster row needs both in one file);
``QuestionnaireResponse.ndjson`` the check-ins; ``Observation.ndjson`` the drug screens.

The roster carries names, birth dates and contact details and check-ins carry notes: identified
data. As with ``caseload scores``, the files are written owner-only under temporary names, the
export is recorded in the access audit log with the client keys it covers, and only then are
the files renamed into place, so no export exists unlogged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from etl.audit import Actor, record
from etl.fhir import contract as c
from etl.models import (
    DimClient,
    DimProgram,
    DimStaff,
    FctCheckin,
    FctDrugScreen,
    PiiCheckinNote,
    PiiClient,
)
from etl.risk.export import cli_actor
from etl.vocabulary import CHECKIN_ANSWERS

FILES = ("roster.ndjson", "QuestionnaireResponse.ndjson", "Observation.ndjson")
_STREAM = {"yield_per": 20_000}


def _utc(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def _roster(engine: Engine, keys: set[int]) -> Iterator[dict]:
    stmt = (
        select(DimClient, PiiClient, DimProgram.program_id, DimStaff.staff_id)
        .join(DimProgram, DimProgram.program_key == DimClient.program_key)
        .outerjoin(PiiClient, PiiClient.client_key == DimClient.client_key)
        .outerjoin(DimStaff, DimStaff.staff_key == DimClient.counselor_key)
        .order_by(DimClient.client_id)
    )
    with Session(engine) as session:
        for client, pii, program_id, staff_id in session.execute(stmt, execution_options=_STREAM):
            keys.add(int(client.client_key))
            patient: dict = {
                "resourceType": "Patient",
                "id": client.client_id,
                "identifier": [{"system": c.CLIENT_SYSTEM, "value": client.client_id}],
            }
            if pii is not None:
                patient["name"] = [
                    {"use": "official", "family": pii.last_name, "given": [pii.first_name]}
                ]
                telecom = [
                    {"system": s, "value": v}
                    for s, v in (("phone", pii.phone), ("email", pii.email))
                    if v
                ]
                if telecom:
                    patient["telecom"] = telecom
                if pii.date_of_birth:
                    patient["birthDate"] = pii.date_of_birth.isoformat()
                if pii.zip:
                    patient["address"] = [{"use": "home", "postalCode": pii.zip}]
            if client.sex:
                patient["gender"] = client.sex
            yield patient
            episode: dict = {
                "resourceType": "EpisodeOfCare",
                "id": f"enrolment-{client.client_id}"[:64],
                "extension": [
                    {"url": c.SCHEDULE_URL, "valueCode": client.checkin_schedule},
                ],
                "status": "finished" if client.discharge_date else "active",
                "patient": {"reference": f"Patient/{client.client_id}"},
                "managingOrganization": {
                    "identifier": {"system": c.PROGRAM_SYSTEM, "value": program_id}
                },
                "period": {"start": client.admission_date.isoformat()},
            }
            if client.primary_substance:
                episode["extension"].append(
                    {"url": c.SUBSTANCE_URL, "valueString": client.primary_substance}
                )
            if client.discharge_date:
                episode["period"]["end"] = client.discharge_date.isoformat()
            if staff_id:
                episode["careManager"] = {
                    "identifier": {"system": c.STAFF_SYSTEM, "value": staff_id}
                }
            yield episode


def _answer(link: str, value: object) -> dict | None:
    if value is None or value == "":
        return None
    if link in ("used_since_last", "support_contact"):
        answers = [{"valueBoolean": bool(value)}]
    elif link == "sleep_hours":
        answers = [{"valueDecimal": float(value)}]
    elif link in ("craving", "stress", "mood", "sleep_quality"):
        answers = [{"valueInteger": int(value)}]
    elif link == "triggers":
        answers = [
            {"valueCoding": {"system": c.TRIGGER_SYSTEM, "code": t}}
            for t in str(value).split(";")
            if t
        ]
    else:
        answers = [{"valueString": str(value)}]
    return {"linkId": link, "answer": answers}


def _checkins(engine: Engine) -> Iterator[dict]:
    stmt = (
        select(FctCheckin, DimClient.client_id, PiiCheckinNote.note)
        .join(DimClient, DimClient.client_key == FctCheckin.client_key)
        .outerjoin(PiiCheckinNote, PiiCheckinNote.checkin_key == FctCheckin.checkin_key)
        .order_by(FctCheckin.checkin_key)
    )
    url = c.QUESTIONNAIRES["daily-checkin"]
    version = c.questionnaire("daily-checkin")["version"]
    with Session(engine) as session:
        for row, client_id, note in session.execute(stmt, execution_options=_STREAM):
            values = {name: getattr(row, name) for name in CHECKIN_ANSWERS if name != "note"}
            values["note"] = note
            items = [i for i in (_answer(k, values[k]) for k in CHECKIN_ANSWERS) if i]
            yield {
                "resourceType": "QuestionnaireResponse",
                "id": row.checkin_id,
                "questionnaire": f"{url}|{version}",
                "status": "completed",
                "subject": {"reference": f"Patient/{client_id}"},
                "authored": _utc(row.submitted_at),
                "item": items,
            }


def _screens(engine: Engine) -> Iterator[dict]:
    codes: dict[str, str] = {}
    for code, substance in c.drug_screen_codes().items():
        codes.setdefault(substance, code)
    stmt = (
        select(FctDrugScreen, DimClient.client_id)
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .order_by(FctDrugScreen.screen_key)
    )
    interpretation = {"positive": "POS", "negative": "NEG"}
    with Session(engine) as session:
        for row, client_id in session.execute(stmt, execution_options=_STREAM):
            coding = [{"system": c.SUBSTANCE_SYSTEM, "code": row.substance}]
            if row.substance in codes:
                coding.insert(0, {"system": c.LOINC, "code": codes[row.substance]})
            obs: dict = {
                "resourceType": "Observation",
                "id": row.screen_id,
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "observation-category",
                                "code": "laboratory",
                            }
                        ]
                    }
                ],
                "code": {"coding": coding, "text": row.substance},
                "subject": {"reference": f"Patient/{client_id}"},
                "effectiveDateTime": _utc(row.collected_at),
                "valueString": row.result,
            }
            if row.result in interpretation:
                obs["interpretation"] = [
                    {
                        "coding": [
                            {"system": c.V3_INTERPRETATION, "code": interpretation[row.result]}
                        ]
                    }
                ]
            yield obs


def _write(path: Path, resources: Iterator[dict]) -> int:
    """One resource per line into a new owner-only file (no symlink followed)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    n = 0
    with open(fd, "w", encoding="utf-8", newline="\n") as fh:
        for resource in resources:
            fh.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False))
            fh.write("\n")
            n += 1
    return n


def export_fhir(engine: Engine, out: Path, *, actor: Actor | None = None) -> dict[str, int]:
    """Write the three NDJSON files into ``out``; returns resources written per file."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys: set[int] = set()
    parts = {
        "roster.ndjson": _roster(engine, keys),
        "QuestionnaireResponse.ndjson": _checkins(engine),
        "Observation.ndjson": _screens(engine),
    }
    temps = {name: out / f".{name}.partial" for name in FILES}
    counts: dict[str, int] = {}
    try:
        for name in FILES:
            counts[name] = _write(temps[name], parts[name])
        with engine.begin() as conn:
            record(
                conn,
                action="export",
                actor=actor or cli_actor(),
                route="caseload fhir export",
                category="fhir_bulk",
                client_keys=sorted(keys),
                detail={"files": counts, "identified": True},
            )
        for name in FILES:  # after the audit row is committed: never an unlogged export
            os.replace(temps[name], out / name)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return counts

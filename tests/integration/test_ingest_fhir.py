"""FHIR R4 inputs: each shape of the contract loads to the exact record, or to the exact reason."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from factories import url_of
from fhir_support import (
    DEFAULT_ANSWERS,
    answer,
    bundle,
    checkin,
    episode,
    logical,
    patient,
    ref,
    screen,
    write_json,
    write_ndjson,
)
from ingest_support import ROSTER, copy_fixtures, quarantine
from sqlalchemy import Engine, select

from etl.cli import main
from etl.fhir import contract as c
from etl.ingest import ingest_paths
from etl.ingest.kinds import BY_NAME
from etl.models import (
    DimClient,
    DimProgram,
    DimStaff,
    EtlLoad,
    EtlRecordHistory,
    FctCheckin,
    FctDrugScreen,
    FhirPatientLink,
    PiiCheckinNote,
    PiiClient,
)


def programs_and_staff(engine: Engine, tmp_path) -> None:
    report = ingest_paths(engine, copy_fixtures(tmp_path / "csv", ROSTER[:2]))
    assert report.ok


def rows(engine: Engine, stmt) -> list:
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def one(report):
    assert len(report.files) == 1, report.files
    f = report.files[0]
    assert f.status == "loaded", f.error
    assert f.balanced
    return f


def kinds(f) -> dict:
    return {name: counts.as_json() for name, counts in f.by_kind.items()}


# -- the roster --------------------------------------------------------------------------------


def test_patient_and_episode_make_a_roster_row_with_identifiers_apart(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    org = {
        "resourceType": "Organization",
        "id": "org-1",
        "identifier": [{"system": c.PROGRAM_SYSTEM, "value": "P1"}],
    }
    doc = bundle(
        org,
        patient("pat-a", "C001"),
        episode(
            "eoc-a",
            "Patient/pat-a",
            program={"reference": "Organization/org-1"},
            start="2026-09-01",
            end="2026-11-20",
            schedule="weekdays",
            substance="Cocaine",
        ),
    )
    f = one(ingest_paths(engine, [write_json(tmp_path / "roster.json", doc)]))
    assert (f.kind, f.read, f.inserted, f.skipped) == ("fhir-json", 2, 1, 1)
    assert f.skip_reasons == {"Organization is not loaded (programs and staff load from CSV)": 1}
    got = rows(
        engine,
        select(
            DimClient.client_id,
            DimProgram.program_id,
            DimStaff.staff_id,
            DimClient.sex,
            DimClient.birth_year,
            DimClient.zip3,
            DimClient.admission_date,
            DimClient.discharge_date,
            DimClient.primary_substance,
            DimClient.checkin_schedule,
        )
        .join(DimProgram, DimProgram.program_key == DimClient.program_key)
        .join(DimStaff, DimStaff.staff_key == DimClient.counselor_key),
    )
    assert got == [
        (
            "C001",
            "P1",
            "S1",
            "female",
            1988,
            "021",
            dt.date(2026, 9, 1),
            dt.date(2026, 11, 20),
            "cocaine",
            "weekdays",
        )
    ]
    pii = rows(
        engine,
        select(
            PiiClient.first_name,
            PiiClient.last_name,
            PiiClient.date_of_birth,
            PiiClient.zip,
            PiiClient.phone,
            PiiClient.email,
        ),
    )
    assert pii == [
        ("Alex", "Morgan", dt.date(1988, 4, 12), "02139", "617-555-0101", "alex.m@example.org")
    ]
    assert rows(engine, select(FhirPatientLink.fhir_id, FhirPatientLink.client_id)) == [
        ("pat-a", "C001")
    ]


def test_roster_problems_name_the_json_path(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    doc = bundle(
        patient("pat-a", "C001"),
        episode("eoc-a", "Patient/pat-a", schedule="hourly"),
        patient("pat-b", "C002", identifier=[]),
        episode("eoc-b", "Patient/pat-b"),
        patient("pat-c", "C003"),  # no episode: not enrolled
        episode("eoc-x", "Patient/nobody"),
        patient("pat-d", "C004"),
        episode("eoc-d1", "Patient/pat-d", start="2026-01-01"),
        episode("eoc-d2", "Patient/pat-d", start="2026-10-01"),
    )
    f = one(ingest_paths(engine, [write_json(tmp_path / "roster.json", doc)]))
    assert kinds(f) == {
        "clients": {
            "read": 7,
            "inserted": 1,
            "updated": 0,
            "unchanged": 0,
            "rejected": 4,
            "skipped": 2,
        }
    }
    assert f.skip_reasons == {
        "Patient without an EpisodeOfCare in the file (not enrolled)": 1,
        "an earlier EpisodeOfCare of the same Patient (the latest loads)": 1,
    }
    got = sorted((q.json_path, q.column_name, q.reason) for q in quarantine(engine))
    assert got == [
        (
            "entry[1].resource.extension[0].valueCode",
            "checkin_schedule",
            "checkin_schedule 'hourly' is not one of daily, weekdays, weekly",
        ),
        (
            "entry[2].resource.identifier",
            "client_id",
            "Patient has no identifier (its value is the client_id)",
        ),
        (
            "entry[3].resource.patient",
            "client_id",
            "patient Patient/pat-b is not a Patient of this file or of an earlier load",
        ),
        (
            "entry[5].resource.patient",
            "client_id",
            "patient Patient/nobody is not a Patient of this file or of an earlier load",
        ),
    ]
    assert all(q.line is None for q in quarantine(engine))
    admitted = rows(engine, select(DimClient.client_id, DimClient.admission_date))
    assert admitted == [("C004", dt.date(2026, 10, 1))]


# -- check-ins ---------------------------------------------------------------------------------


def roster_bundle() -> dict:
    return bundle(
        patient("pat-a", "C001"),
        episode("eoc-a", "Patient/pat-a"),
        patient("pat-b", "C002", first="Jordan", last="Blake"),
        episode(
            "eoc-b",
            "Patient/pat-b",
            schedule="weekdays",
            program={"identifier": {"system": c.PROGRAM_SYSTEM, "value": "P2"}},
            staff={"identifier": {"system": c.STAFF_SYSTEM, "value": "S3"}},
        ),
    )


def checkin_rows(engine: Engine) -> list:
    return rows(
        engine,
        select(
            FctCheckin.checkin_id,
            DimClient.client_id,
            FctCheckin.submitted_at,
            FctCheckin.local_date,
            FctCheckin.craving,
            FctCheckin.stress,
            FctCheckin.mood,
            FctCheckin.sleep_hours,
            FctCheckin.sleep_quality,
            FctCheckin.used_since_last,
            FctCheckin.triggers,
            FctCheckin.trigger_people,
            FctCheckin.trigger_places,
            FctCheckin.support_contact,
            FctCheckin.coping,
            PiiCheckinNote.note,
        )
        .join(DimClient, DimClient.client_key == FctCheckin.client_key)
        .outerjoin(PiiCheckinNote, PiiCheckinNote.checkin_key == FctCheckin.checkin_key)
        .order_by(FctCheckin.checkin_id),
    )


def test_checkin_answers_of_every_declared_type(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    nested = checkin(
        "CK2",
        logical("C002"),
        authored="2026-11-02T23:30:00-07:00",
        version=None,
        status="amended",
        items=[
            {
                "linkId": "today",
                "item": [
                    answer("craving", valueInteger=8),
                    answer("stress", valueInteger=9),
                    answer("mood", valueInteger=2),
                ],
            },
            answer("sleep_hours", valueInteger=5),
            answer("used_since_last", valueCoding={"system": "http://loinc.org", "code": "LA33-6"}),
            answer("triggers", valueString="emotions;other"),
            answer("support_contact", valueBoolean=False),
        ],
    )
    doc = bundle(checkin("CK1", ref("pat-a")), nested)
    f = one(ingest_paths(engine, [write_json(tmp_path / "checkins.json", doc)]))
    assert kinds(f)["checkins"] == {
        "read": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "skipped": 0,
    }
    assert checkin_rows(engine) == [
        (
            "CK1",
            "C001",
            dt.datetime(2026, 11, 2, 13, 30),
            dt.date(2026, 11, 2),
            *DEFAULT_ANSWERS,
        ),
        (
            "CK2",
            "C002",
            dt.datetime(2026, 11, 3, 6, 30),
            dt.date(2026, 11, 2),
            8,
            9,
            2,
            5.0,
            None,
            True,
            "emotions;other",
            False,
            False,
            False,
            None,
            None,
        ),
    ]


def test_checkin_problems_are_quarantined_at_the_answer(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    doc = bundle(
        checkin("CK1", ref("pat-a"), items=[answer("craving", valueInteger=15)]),
        checkin("CK2", ref("pat-a"), items=[answer("stress", valueString="high")]),
        checkin(
            "CK3",
            ref("pat-a"),
            items=[{"linkId": "mood", "answer": [{"valueInteger": 1}, {"valueInteger": 2}]}],
        ),
        checkin("CK4", ref("pat-zz")),
        checkin(
            "CK5", ref("pat-a"), items=[{"linkId": "craving", "answer": [{"valueInteger": "lots"}]}]
        ),
        checkin("CK6", logical("C999")),
    )
    path = write_json(tmp_path / "bad.json", doc)
    f = one(ingest_paths(engine, [path]))
    assert (f.read, f.inserted, f.rejected) == (6, 0, 6)
    again = one(ingest_paths(engine, [path]))  # re-sent: the open entries stand, none added
    assert again.rejected == 6 and len(quarantine(engine)) == 6
    got = [(q.json_path, q.column_name, q.reason) for q in quarantine(engine)]
    assert sorted(got) == [
        ("entry[0].resource.item[0].answer[0]", "craving", "craving 15 out of range 0-10"),
        (
            "entry[1].resource.item[0].answer[0]",
            "stress",
            "stress: answer is valueString, the Questionnaire declares integer",
        ),
        (
            "entry[2].resource.item[0].answer[1]",
            "mood",
            "mood has 2 answers; the Questionnaire allows one",
        ),
        (
            "entry[3].resource.subject",
            "client_id",
            "subject Patient/pat-zz is not a Patient of this file or of an earlier load",
        ),
        (
            "entry[4].resource.item[0].answer[0].valueInteger",
            None,
            "QuestionnaireResponse does not validate against FHIR R4: "
            "item[0].answer[0].valueInteger: Input should be a valid integer, unable to parse "
            "string as an integer",
        ),
        (
            "entry[5].resource.subject",
            "client_id",
            "unknown client_id 'C999' (not in the roster: load clients.csv, then caseload ingest "
            "--retry-quarantine)",
        ),
    ]


def test_status_and_other_questionnaires(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    one(
        ingest_paths(
            engine,
            [
                write_json(
                    tmp_path / "a.json",
                    bundle(checkin("CK1", ref("pat-a")), checkin("CK2", ref("pat-a"))),
                )
            ],
        )
    )
    phq = checkin("PHQ", ref("pat-a"))
    phq["questionnaire"] = "http://example.org/Questionnaire/phq-9"
    doc = bundle(
        checkin("CK1", ref("pat-a"), status="entered-in-error"),
        checkin("CK9", ref("pat-a"), status="entered-in-error"),
        checkin("CK3", ref("pat-a"), status="in-progress"),
        phq,
    )
    f = one(ingest_paths(engine, [write_json(tmp_path / "b.json", doc)]))
    assert kinds(f) == {
        "checkins": {
            "read": 3,
            "inserted": 0,
            "updated": 1,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 2,
        },
        "other": {
            "read": 1,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 1,
        },
    }
    assert f.skip_reasons == {
        "QuestionnaireResponse for another Questionnaire": 1,
        "QuestionnaireResponse status in-progress (only completed or amended load)": 1,
        "entered-in-error: no such record to remove": 1,
    }
    assert [r.checkin_id for r in checkin_rows(engine)] == ["CK2"]
    history = rows(engine, select(EtlRecordHistory.natural_id, EtlRecordHistory.changes))
    assert [
        (h[0], h[1]["_withdrawn"], h[1]["craving"]["old"], h[1]["craving"]["new"]) for h in history
    ] == [("CK1", {"old": False, "new": True}, 3, None)]
    assert "rough morning" not in json.dumps([h[1] for h in history])  # the note is redacted


# -- drug screens ------------------------------------------------------------------------------


def test_screen_results_from_string_concept_and_interpretation(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    interp = {"interpretation": [{"coding": [{"system": c.V3_INTERPRETATION, "code": "POS"}]}]}
    doc = bundle(
        screen("S1", ref("pat-a"), loinc="3393-6", valueString="NEG"),
        screen(
            "S2",
            ref("pat-a"),
            loinc="19261-7",
            valueCodeableConcept={"coding": [{"system": c.SNOMED, "code": "10828004"}]},
        ),
        screen("S3", ref("pat-b"), loinc="14314-9", **interp),
        screen("S4", ref("pat-b"), loinc="3349-8", valueString="maybe"),
        screen("S5", ref("pat-b"), loinc="2345-7", valueString="POS"),  # glucose
        screen("S6", ref("pat-b"), status="cancelled"),
    )
    f = one(ingest_paths(engine, [write_json(tmp_path / "screens.json", doc)]))
    assert kinds(f) == {
        "drug_screens": {
            "read": 5,
            "inserted": 3,
            "updated": 0,
            "unchanged": 0,
            "rejected": 1,
            "skipped": 1,
        },
        "other": {
            "read": 1,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 1,
        },
    }
    got = rows(
        engine,
        select(
            FctDrugScreen.screen_id,
            DimClient.client_id,
            FctDrugScreen.collected_at,
            FctDrugScreen.substance,
            FctDrugScreen.result,
        )
        .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
        .order_by(FctDrugScreen.screen_id),
    )
    when = dt.datetime(2026, 11, 3, 10, 0)
    assert got == [
        ("S1", "C001", when, "cocaine", "negative"),
        ("S2", "C001", when, "amphetamine", "positive"),
        ("S3", "C002", when, "cocaine", "positive"),
    ]
    (bad,) = quarantine(engine)
    assert (bad.json_path, bad.column_name, bad.value) == (
        "entry[3].resource.valueString",
        "result",
        "maybe",
    )
    assert bad.reason.startswith("result 'maybe' is not one of")
    assert f.skip_reasons == {
        "Observation code is not a drug-screen LOINC code": 1,
        "Observation status cancelled (only final, amended or corrected load)": 1,
    }


def test_program_table_extends_the_loinc_codes(engine, tmp_path, monkeypatch) -> None:
    programs_and_staff(engine, tmp_path)
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    extra = tmp_path / "codes.csv"
    extra.write_text("loinc,substance,display\n99999-9,Fentanyl,Lab's own fentanyl code\n")
    monkeypatch.setenv("CASELOAD_LOINC_DRUG_SCREENS", str(extra))
    c.drug_screen_codes.cache_clear()
    try:
        doc = bundle(screen("S1", ref("pat-a"), loinc="99999-9"))
        one(ingest_paths(engine, [write_json(tmp_path / "s.json", doc)]))
    finally:
        c.drug_screen_codes.cache_clear()
    assert rows(engine, select(FctDrugScreen.substance)) == [("fentanyl",)]


# -- files, references and counts --------------------------------------------------------------


def warehouse(engine: Engine) -> dict:
    return {
        "clients": rows(
            engine,
            select(
                DimClient.client_id, DimClient.checkin_schedule, DimClient.admission_date
            ).order_by(DimClient.client_id),
        ),
        "checkins": checkin_rows(engine),
        "screens": rows(
            engine,
            select(
                FctDrugScreen.screen_id,
                FctDrugScreen.substance,
                FctDrugScreen.result,
                FctDrugScreen.collected_at,
            ).order_by(FctDrugScreen.screen_id),
        ),
    }


def mixed_resources() -> list[dict]:
    """Facts first, roster after: the file still loads the roster before them."""
    return [
        checkin("CK1", ref("pat-a")),
        screen("S1", ref("pat-b")),
        {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"}},
        checkin("CK2", logical("C002"), authored="2026-11-04T07:00:00Z"),
        patient("pat-a", "C001"),
        episode("eoc-a", "Patient/pat-a"),
        patient("pat-b", "C002", first="Jordan"),
        episode("eoc-b", "Patient/pat-b"),
    ]


@pytest.mark.parametrize("shape", ["bundle", "ndjson", "ndjson.gz"])
def test_bundle_and_ndjson_of_the_same_resources_give_the_same_warehouse(
    engine, tmp_path, shape
) -> None:
    programs_and_staff(engine, tmp_path)
    if shape == "bundle":
        path = write_json(tmp_path / "all.json", bundle(*mixed_resources()))
    else:
        path = write_ndjson(tmp_path / f"all.{shape}", mixed_resources(), gz=shape.endswith("gz"))
    f = one(ingest_paths(engine, [path]))
    assert (f.read, f.inserted, f.rejected, f.skipped) == (6, 5, 0, 1)
    assert warehouse(engine) == {
        "clients": [("C001", "daily", dt.date(2026, 9, 1)), ("C002", "daily", dt.date(2026, 9, 1))],
        "checkins": [
            (
                "CK1",
                "C001",
                dt.datetime(2026, 11, 2, 13, 30),
                dt.date(2026, 11, 2),
                *DEFAULT_ANSWERS,
            ),
            (
                "CK2",
                "C002",
                dt.datetime(2026, 11, 4, 7, 0),
                dt.date(2026, 11, 4),
                *DEFAULT_ANSWERS,
            ),
        ],
        "screens": [("S1", "cocaine", "positive", dt.datetime(2026, 11, 3, 10, 0))],
    }
    again = one(ingest_paths(engine, [path]))
    assert (again.read, again.unchanged, again.inserted, again.updated) == (6, 5, 0, 0)


def test_ndjson_lines_are_the_quarantine_location(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    path = write_ndjson(tmp_path / "x.ndjson", mixed_resources())
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(
            json.dumps(checkin("CK3", ref("pat-a"), items=[answer("mood", valueInteger=11)])) + "\n"
        )
    f = one(ingest_paths(engine, [path]))
    assert (f.read, f.rejected) == (8, 2)
    got = [(q.kind, q.line, q.json_path, q.reason) for q in quarantine(engine)]
    assert sorted(got, key=lambda g: g[1]) == [
        ("other", 9, None, "line 9 is not JSON"),
        ("checkins", 10, "item[0].answer[0]", "mood 11 out of range 0-10"),
    ]


def test_transaction_bundle_urn_references_and_earlier_loads(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    urls = [
        "urn:uuid:11111111-1111-1111-1111-111111111111",
        "urn:uuid:22222222-2222-2222-2222-222222222222",
    ]
    pat = patient("pat-a", "C001")
    eoc = episode("eoc-a", urls[0])
    doc = bundle(pat, eoc, kind="transaction", full_urls=urls)
    one(ingest_paths(engine, [write_json(tmp_path / "tx.json", doc)]))
    later = bundle(
        checkin("CK1", {"reference": "https://ehr.example/fhir/Patient/pat-a"}),
        screen("S1", {"reference": "Patient/pat-a/_history/3"}),
        kind="searchset",
    )
    f = one(ingest_paths(engine, [write_json(tmp_path / "later.json", later)]))
    assert (f.inserted, f.rejected) == (2, 0)
    assert [r[1] for r in checkin_rows(engine)] == ["C001"]


def test_a_thousand_unrelated_resources_are_all_skipped(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    unrelated = []
    for i in range(1000):
        if i % 4 == 0:
            unrelated.append(
                {
                    "resourceType": "Encounter",
                    "id": f"e{i}",
                    "status": "finished",
                    "class": {"code": "AMB"},
                }
            )
        elif i % 4 == 1:
            unrelated.append(
                {
                    "resourceType": "Observation",
                    "id": f"o{i}",
                    "status": "final",
                    "code": {"coding": [{"system": c.LOINC, "code": "8867-4"}]},
                    "valueQuantity": {"value": 60 + i % 30},
                }
            )
        elif i % 4 == 2:
            q = checkin(f"q{i}", ref("x"))
            q["questionnaire"] = "http://example.org/Questionnaire/other"
            unrelated.append(q)
        else:
            unrelated.append(
                {"resourceType": "Condition", "id": f"c{i}", "subject": {"reference": "Patient/x"}}
            )
    f = one(ingest_paths(engine, [write_ndjson(tmp_path / "other.ndjson", unrelated)]))
    assert (f.read, f.skipped, f.inserted, f.rejected) == (1000, 1000, 0, 0)
    assert f.skip_reasons == {
        "Encounter resources are not loaded": 250,
        "Observation code is not a drug-screen LOINC code": 250,
        "QuestionnaireResponse for another Questionnaire": 250,
        "Condition resources are not loaded": 250,
    }
    (load,) = rows(
        engine,
        select(EtlLoad.rows_read, EtlLoad.rows_skipped).where(EtlLoad.path.like("%other.ndjson")),
    )
    assert tuple(load) == (1000, 1000)


def test_checkins_before_their_roster_wait_then_load_on_retry(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    early = write_ndjson(tmp_path / "early.ndjson", [checkin("CK1", logical("C001"))])
    first = one(ingest_paths(engine, [early]))
    assert first.rejected == 1
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    retried = ingest_paths(engine, [], retry_quarantine=True)
    assert [(r.kind, r.read, r.inserted) for r in retried.files] == [("checkins", 1, 1)]
    assert [r[0] for r in checkin_rows(engine)] == ["CK1"]


def test_cli_json_reports_per_kind_counts(engine, tmp_path) -> None:
    programs_and_staff(engine, tmp_path)
    path = write_json(tmp_path / "all.json", bundle(*mixed_resources()))
    url = url_of(engine)
    result = CliRunner().invoke(
        main, ["ingest", "--json", "--no-refresh", "--database-url", url, str(path)]
    )
    assert result.exit_code == 0, result.output
    (f,) = json.loads(result.stdout)["files"]
    assert (f["read"], f["inserted"], f["skipped"]) == (6, 5, 1)
    assert f["kinds"] == {
        "clients": {
            "read": 2,
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 0,
        },
        "checkins": {
            "read": 2,
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 0,
        },
        "drug_screens": {
            "read": 1,
            "inserted": 1,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 0,
        },
        "other": {
            "read": 1,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "skipped": 1,
        },
    }
    assert f["skip_reasons"] == {"Encounter resources are not loaded": 1}


def test_ndjson_is_streamed_in_chunks_of_the_given_size(engine, tmp_path) -> None:
    from etl.ingest.sources import open_file

    programs_and_staff(engine, tmp_path)
    resources = [patient("pat-a", "C001"), episode("eoc-a", "Patient/pat-a")]
    resources += [checkin(f"CK{i}", ref("pat-a")) for i in range(95)]
    resources += [{"resourceType": "Encounter", "id": f"e{i}"} for i in range(25)]  # no class
    path = write_ndjson(tmp_path / "many.ndjson", resources)
    chunks = list(open_file(path).chunks(10))
    assert max(len(ch.frame) + len(ch.malformed) for ch in chunks) <= 10
    assert sum(len(ch.frame) for ch in chunks if ch.kind.name == "checkins") == 95
    assert sum(len(ch.malformed) for ch in chunks) == 25
    f = one(ingest_paths(engine, [path], chunk_rows=10))
    assert (f.read, f.inserted, f.rejected) == (121, 96, 25)


BAM_ANSWERS = {
    "item_1": 2,
    "item_2": 3,
    "item_3": 1,
    "item_4": 1,
    "item_5": 0,
    "item_6": 2,
    **{f"item_7{x}": 0 for x in "abcdefg"},
    "item_8": 4,
    "item_9": 3,
    "item_10": 2,
    "item_11": 1,
    "item_12": 4,
    "item_13": 2,
    "item_14": 3,
    "item_15": 2,
    "item_16": 1,
    "item_17": 3,
}  # hand-scored: Use 1+0+2 = 3, Risk 2+3+1+4+1+2 = 13, Protective 3+2+4+2+3+1 = 15


def bam_response(rid: str, subject: dict, answers: dict[str, int], recall: int = 30) -> dict:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "questionnaire": f"{c.QUESTIONNAIRES['bam']}|1.0.0",
        "status": "completed",
        "subject": subject,
        "authored": "2026-11-05T10:00:00Z",
        "item": [answer("recall_days", valueInteger=recall)]
        + [answer(link, valueInteger=v) for link, v in answers.items()],
    }


@pytest.mark.skipif("bam" not in BY_NAME, reason="the BAM kind is not part of this warehouse")
def test_bam_responses_load_to_the_bam_fact_by_the_published_questionnaire(
    engine, tmp_path
) -> None:
    from etl.models import FctBam

    programs_and_staff(engine, tmp_path)
    one(ingest_paths(engine, [write_json(tmp_path / "roster.json", roster_bundle())]))
    doc = bundle(
        bam_response("BAM1", ref("pat-a"), BAM_ANSWERS),
        bam_response("BAM2", ref("pat-a"), {**BAM_ANSWERS, "item_3": 5}),
    )
    f = one(ingest_paths(engine, [write_json(tmp_path / "bam.json", doc)]))
    assert kinds(f)["bam"] == {
        "read": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "skipped": 0,
    }
    (row,) = rows(
        engine,
        select(
            FctBam.response_id,
            FctBam.recall_days,
            FctBam.item_7c,
            FctBam.item_17,
            FctBam.use_score,
            FctBam.risk_score,
            FctBam.protective_score,
            FctBam.is_use_flagged,
            FctBam.is_risk_flagged,
            FctBam.is_protective_flagged,
        ),
    )
    assert tuple(row) == ("BAM1", 30, 0, 3, 3, 13, 15, True, True, False)
    (bad,) = quarantine(engine)
    assert (bad.kind, bad.json_path, bad.column_name) == (
        "bam",
        "entry[1].resource.item[3].answer[0]",
        "item_3",
    )

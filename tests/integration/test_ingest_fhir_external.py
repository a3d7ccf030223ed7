"""Real FHIR R4 files Caseload did not write (``../shared/data/external``, see its SOURCES.md):
official HL7 examples, Synthea Bulk NDJSON and Bundles, CDC drug-screen Observations, and the
known-invalid ones as negative cases."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir_support import EXTERNAL, bundle, episode, patient, write_json
from ingest_support import ROSTER, copy_fixtures, quarantine
from sqlalchemy import select

from etl.ingest import ingest_paths
from etl.models import DimClient, FctDrugScreen

pytestmark = pytest.mark.skipif(
    not EXTERNAL.is_dir(), reason=f"external test data not found at {EXTERNAL}"
)


def by_name(report) -> dict:
    return {f.path.rsplit("/", 1)[-1]: f for f in report.files}


def test_synthea_bulk_export_is_read_whole_and_skipped_with_reasons(engine) -> None:
    folder = EXTERNAL / "smart-bulk-10-patients"
    files = sorted(folder.glob("*.ndjson"))
    report = by_name(ingest_paths(engine, files))
    assert report["log.ndjson"].status == "failed"
    assert report["log.ndjson"].error == "is not FHIR NDJSON (line 1 has no resourceType)"
    for path in files:
        if path.name == "log.ndjson":
            continue
        f = report[path.name]
        lines = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        assert (f.status, f.read, f.skipped, f.rejected, f.inserted) == (
            "loaded",
            lines,
            lines,
            0,
            0,
        ), path.name
        assert f.balanced
    patients = report["Patient.000.ndjson"]
    assert patients.skip_reasons == {
        "Patient without an EpisodeOfCare in the file (not enrolled)": patients.read
    }
    assert report["Encounter.000.ndjson"].skip_reasons == {
        "Encounter resources are not loaded": 1215
    }
    assert quarantine(engine) == []


def test_synthea_transaction_bundles_count_every_entry(engine) -> None:
    folder = EXTERNAL / "smart-generated-sample-data-r4"
    files = sorted(folder.glob("*.json"))
    report = by_name(ingest_paths(engine, files))
    for path in files:
        entries = len(json.loads(path.read_text(encoding="utf-8"))["entry"])
        f = report[path.name]
        assert (f.status, f.read, f.skipped, f.rejected) == ("loaded", entries, entries, 0)
        assert f.by_kind["clients"].skipped == 1  # the one Patient, not enrolled


def test_invalid_official_questionnaire_is_quarantined_at_its_first_problem(engine) -> None:
    path = EXTERNAL / "hl7-fhir-r4-examples" / "Questionnaire-qs1.json"
    (f,) = ingest_paths(engine, [path]).files
    assert (f.status, f.read, f.rejected, f.skipped) == ("loaded", 1, 1, 0)
    (q,) = quarantine(engine)
    assert (q.kind, q.line, q.json_path) == ("other", None, "item[0].item[0].linkId")
    assert q.reason == (
        "Questionnaire does not validate against FHIR R4: item[0].item[0].linkId: "
        "Value for the field 'linkId' is required."
    )
    assert q.raw["_fields"]["id"] == "qs1"  # kept whole


def test_malformed_json_and_unsupported_bundles_fail_alone(engine) -> None:
    names = [
        EXTERNAL / "cdc-opioid-cds-r4" / "request-example-rec-10-patient-view-illicit-drugs.json",
        EXTERNAL / "hl7-phr-ig" / "Bundle-PhrBundle-example.json",
        EXTERNAL / "hl7-fhir-r4-examples" / "Patient-example.json",
    ]
    report = by_name(ingest_paths(engine, names))
    assert report["request-example-rec-10-patient-view-illicit-drugs.json"].error == (
        "is not valid JSON (line 280, column 1: Extra data)"
    )
    assert report["Bundle-PhrBundle-example.json"].error == (
        "is a Bundle of type 'document' (expected collection, transaction, batch, searchset or "
        "message)"
    )
    ok = report["Patient-example.json"]
    assert (ok.status, ok.read, ok.skipped) == ("loaded", 1, 1)


def test_cds_hooks_request_with_an_invalid_encounter(engine) -> None:
    path = (
        EXTERNAL
        / "cdc-opioid-cds-r4"
        / ("request-example-rec-10-illicit-drugs-POS-Opiate-non-synthetic.json")
    )
    (f,) = ingest_paths(engine, [path]).files
    assert f.status == "loaded" and f.balanced
    assert {k: (c.read, c.rejected, c.skipped) for k, c in f.by_kind.items()} == {
        "clients": (1, 1, 0),  # the Patient has no identifier to be a client_id
        "drug_screens": (4, 4, 0),  # recognised as screens; their Patient was rejected
        "other": (2, 1, 1),
    }
    reasons = {(q.json_path, q.reason) for q in quarantine(engine)}
    assert (
        "prefetch.item7.class",
        "Encounter does not validate against FHIR R4: class: Field required",
    ) in reasons
    assert (
        "prefetch.item2.entry[0].resource.subject",
        "subject Patient/example-rec-10-non-synthetic-drug is a Patient of this file that "
        "was rejected",
    ) in reasons


def test_cdc_drug_screen_observations_load_for_an_enrolled_patient(engine, tmp_path) -> None:
    assert ingest_paths(engine, copy_fixtures(tmp_path / "csv", ROSTER[:2])).ok
    request = json.loads(
        (
            EXTERNAL
            / "cdc-opioid-cds-r4"
            / "request-example-rec-10-patient-view-2-illicit-drugs.json"
        ).read_text(encoding="utf-8")
    )
    observations = [e["resource"] for e in request["prefetch"]["item3"]["entry"]]
    pid = "example-rec-10-patient-view-2-illicit-drugs"
    doc = bundle(
        patient(pid, "C001"), episode("eoc", f"Patient/{pid}", start="2022-10-01"), *observations
    )
    (f,) = ingest_paths(engine, [write_json(tmp_path / "cdc.json", doc)]).files
    assert (f.status, f.read, f.inserted, f.rejected) == ("loaded", 5, 4, 1)
    with engine.connect() as conn:
        got = conn.execute(
            select(
                FctDrugScreen.screen_id,
                DimClient.client_id,
                FctDrugScreen.local_date,
                FctDrugScreen.substance,
                FctDrugScreen.result,
            )
            .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
            .order_by(FctDrugScreen.local_date)
        ).all()
    assert [tuple(r) for r in got] == [
        (
            "example-rec-10-patient-view-illicit-drugs-POS-Opiate-obs3",
            "C001",
            dt.date(2022, 11, 10),
            "opioids",
            "positive",
        ),
        (
            "example-rec-10-2-patient-view-illicit-drugs-obs1",
            "C001",
            dt.date(2022, 12, 1),
            "cocaine",
            "positive",
        ),
        (
            "example-rec-10-2-patient-view-illicit-drugs-obs4",
            "C001",
            dt.date(2023, 1, 1),
            "phencyclidine",
            "positive",
        ),
    ]
    (q,) = quarantine(engine)  # upstream typo: Patient/xexample-...
    assert (q.kind, q.json_path, q.column_name) == (
        "drug_screens",
        "entry[3].resource.subject",
        "client_id",
    )


def test_every_official_r4_example_reads_with_counts_that_add_up(engine) -> None:
    folder = EXTERNAL / "hl7-fhir-r4-examples"
    report = by_name(ingest_paths(engine, sorted(folder.glob("*.json"))))
    failed = {n: f.error for n, f in report.items() if f.status != "loaded"}
    assert failed == {
        "Bundle-bundle-response.json": "is a Bundle of type 'transaction-response' (expected "
        "collection, transaction, batch, searchset or message)",
        "Bundle-father.json": "is a Bundle of type 'document' (expected collection, "
        "transaction, batch, searchset or message)",
        "package.json": "is not FHIR JSON (no resourceType)",
    }
    assert all(f.balanced for f in report.values())
    rejected = {n: f.rejected for n, f in report.items() if f.rejected}
    assert rejected == {
        "Bundle-bundle-transaction.json": 3,  # Patients without an identifier
        "EpisodeOfCare-example.json": 1,  # its Patient is not in the file
        "Questionnaire-qs1.json": 1,  # the known-invalid example
    }

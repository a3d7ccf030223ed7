"""The FHIR side of the data contract: canonical URLs, the published Questionnaires, the
extensions and code systems Caseload reads and writes, and the drug-screen LOINC table.

The table of LOINC codes -> substance ships as ``loinc_drug_screens.csv``; a program adds its
lab's codes in a CSV of the same shape named by ``CASELOAD_LOINC_DRUG_SCREENS`` (its rows win).
"""

from __future__ import annotations

import csv
import json
import os
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
BASE = "https://caseload.dev/fhir"
QUESTIONNAIRES = {
    "daily-checkin": f"{BASE}/Questionnaire/daily-checkin",
    "bam": f"{BASE}/Questionnaire/bam",
}
PROGRAM_SYSTEM = f"{BASE}/program"
STAFF_SYSTEM = f"{BASE}/staff"
CLIENT_SYSTEM = f"{BASE}/client"
SCHEDULE_URL = f"{BASE}/StructureDefinition/checkin-schedule"
SUBSTANCE_URL = f"{BASE}/StructureDefinition/primary-substance"
TRIGGER_SYSTEM = f"{BASE}/CodeSystem/trigger"
SUBSTANCE_SYSTEM = f"{BASE}/CodeSystem/substance"  # a screen's substance where LOINC has none
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
YES_NO_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0136"

# Coded results a lab sends, as our contract's result: SNOMED CT, the v3 interpretation and
# the older v2 table 0078 (abnormal flags) that CDS Hooks examples still use.
RESULT_CODES = {
    (SNOMED, "10828004"): "positive",
    (SNOMED, "260385009"): "negative",
    (SNOMED, "260373001"): "positive",  # detected
    (SNOMED, "260415000"): "negative",  # not detected
    (V3_INTERPRETATION, "POS"): "positive",
    (V3_INTERPRETATION, "NEG"): "negative",
    (V3_INTERPRETATION, "DET"): "positive",
    (V3_INTERPRETATION, "ND"): "negative",
    **{
        (system, code): result
        for system in (
            "http://hl7.org/fhir/v2/0078",
            "http://terminology.hl7.org/CodeSystem/v2-0078",
        )
        for code, result in (
            ("POS", "positive"),
            ("NEG", "negative"),
            ("DET", "positive"),
            ("ND", "negative"),
        )
    },
}
RESULT_TEXT = {
    "pos": "positive",
    "positive": "positive",
    "detected": "positive",
    "neg": "negative",
    "negative": "negative",
    "not detected": "negative",
    "dilute": "dilute",
    "invalid": "invalid",
    "refused": "refused",
}
# yes/no answered as a coding: HL7 v2 Y/N, LOINC LA33-6 / LA32-8, or the plain words.
YES_CODES = frozenset({"y", "yes", "la33-6", "true"})
NO_CODES = frozenset({"n", "no", "la32-8", "false"})


@cache
def questionnaire(name: str) -> dict:
    """The published Questionnaire as JSON (``daily-checkin`` or ``bam``)."""
    if name not in QUESTIONNAIRES:
        raise KeyError(name)
    return json.loads((HERE / "questionnaires" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def item_types(name: str) -> dict[str, tuple[str, bool]]:
    """linkId -> (declared type, repeats) of a published Questionnaire."""
    return {i["linkId"]: (i["type"], bool(i.get("repeats"))) for i in questionnaire(name)["item"]}


@cache
def drug_screen_codes() -> dict[str, str]:
    """LOINC code -> substance, the shipped table plus the program's own file."""
    table = _read_codes(HERE / "loinc_drug_screens.csv")
    extra = os.environ.get("CASELOAD_LOINC_DRUG_SCREENS")
    if extra:
        table.update(_read_codes(Path(extra)))
    return table


def _read_codes(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {
            r["loinc"].strip(): r["substance"].strip().lower()
            for r in csv.DictReader(f)
            if (r.get("loinc") or "").strip()
        }


def canonical(url: str | None) -> str | None:
    """A canonical reference without its ``|version`` suffix."""
    return url.split("|", 1)[0] if url else None

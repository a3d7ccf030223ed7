"""The 18 Safe Harbor identifiers (45 CFR 164.514(b)(2)(i)) and how the export meets each.

Kept as data so the notice can print it and the tests can prove each item against planted
identifiers. The export is an allow-list (``records.COLUMNS``): nothing reaches a file unless it
is named there, which is what keeps the identifiers the warehouse never holds out as well.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identifier:
    code: str
    name: str
    handling: str


CHECKLIST: tuple[Identifier, ...] = (
    Identifier(
        "A", "Names", "pii_client and staff names are never read; clients get random pseudonyms"
    ),
    Identifier(
        "B",
        "Geographic subdivisions smaller than a state",
        "full ZIP and address never read; ZIP3 only, restricted ZIP3s become 000",
    ),
    Identifier(
        "C",
        "Dates (except year) and ages over 89",
        "no dates: days since admission plus admission year; ages in bands, 90+ as one",
    ),
    Identifier("D", "Telephone numbers", "pii_client.phone never read"),
    Identifier("E", "Fax numbers", "not held; free text (notes, coping) never exported"),
    Identifier("F", "Email addresses", "pii_client.email and staff email never read"),
    Identifier("G", "Social security numbers", "not held; free text never exported"),
    Identifier(
        "H",
        "Medical record numbers",
        "client_id (the program's record number) replaced by a random pseudonym",
    ),
    Identifier("I", "Health plan beneficiary numbers", "not held; free text never exported"),
    Identifier("J", "Account numbers", "not held; free text never exported"),
    Identifier("K", "Certificate/licence numbers", "not held; free text never exported"),
    Identifier("L", "Vehicle identifiers", "not held; free text never exported"),
    Identifier("M", "Device identifiers", "not held; check-in, screen and FHIR ids never exported"),
    Identifier("N", "URLs", "not held; free text never exported"),
    Identifier("O", "IP addresses", "audit source addresses never read; free text never exported"),
    Identifier("P", "Biometric identifiers", "not held"),
    Identifier("Q", "Full-face photographs", "not held"),
    Identifier(
        "R",
        "Any other unique number, code or characteristic",
        "source ids (check-in, screen, staff, load) dropped; counselor not exported; "
        "k-anonymity over age band, sex, ZIP3, program, admission year",
    ),
)

assert len(CHECKLIST) == 18 and len({i.code for i in CHECKLIST}) == 18

NOTICE_42_CFR_PART_2 = (
    "This record which has been disclosed to you is protected by federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or "
    "testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the Federal rules prohibit you from making any further "
    "disclosure of this record unless authorized by the written consent of the person to whom "
    "it pertains, or as otherwise permitted by 42 CFR part 2. A general authorization for the "
    "release of medical or other information is NOT sufficient for this purpose (see 42 CFR "
    "2.31)."
)

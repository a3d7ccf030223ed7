"""A program whose source data carries every Safe Harbor identifier we can plant.

Forty-seven clients: forty in four quasi-identifier groups large enough for k=5 (one aged 90
and over, one in a restricted ZIP3), five that only ZIP3 tells apart and two lone clients that
no group hides: the export must generalise the five and suppress the two.
``PLANTED`` maps each checklist item to strings that must never appear in any export file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select, update

from etl.models import DimStaff, FctCheckin, PiiCheckinNote, PiiClient
from etl.risk.score import refresh
from tests.factories import Warehouse, steady_days

AS_OF = dt.date(2026, 4, 30)
ADMITTED = dt.date(2026, 3, 17)
FREE_TEXT = (
    "fax 617-555-0100 ssn 123-45-6789 plan HP-99887766 acct AC-55443322 licence LIC-3322QX "
    "vin 1HGCM82633A004352 device DEV-ABCDEF9 http://zq.example.org/me 10.20.30.40 "
    "fingerprint FP-77AA photo face.jpg"
)
PLANTED: dict[str, tuple[str, ...]] = {
    "A": ("Zebulon", "Quixote", "Ophelia", "Thistlewood"),
    "B": ("03612", "4455", "Elm Street"),
    "C": ("2026-03-17", "1931-07-04", "03/17", "1931"),
    "D": ("617-555-0199",),
    "E": ("617-555-0100",),
    "F": ("zq@example.org", "ophelia@example.org"),
    "G": ("123-45-6789",),
    "H": ("MRN7788",),
    "I": ("HP-99887766",),
    "J": ("AC-55443322",),
    "K": ("LIC-3322QX",),
    "L": ("1HGCM82633A004352",),
    "M": ("DEV-ABCDEF9", "CKUNIQ", "SCRUNIQ"),
    "N": ("zq.example.org", "http"),
    "O": ("10.20.30.40",),
    "P": ("FP-77AA", "fingerprint"),
    "Q": ("face.jpg",),
    "R": ("S-THISTLE", "lone survivor"),
}

# (sex, birth_year, zip3, clients): admitted 2026, so ages 36, 50, 95 and 24.
GROUPS = (
    ("female", 1990, "123", 10),
    ("male", 1976, "456", 10),
    ("female", 1931, "890", 10),
    ("male", 2002, "036", 10),
)
# Five that only ZIP3 tells apart (generalised to *), two that nothing hides (suppressed).
SPREAD = tuple(("male", 1970, z) for z in ("111", "222", "333", "444", "555"))
LONE = (("female", 1961, "777"), ("other", 1985, "555"))


SMALL_CASELOAD = 6  # clients of the second counselor in ``seed(small_counselor=True)``


def seed(engine: Engine, small_counselor: bool = False) -> dict[str, list[int]]:
    """The world above; ``small_counselor`` adds a counselor (S-QUILLFEATHER) with six clients
    of their own, a cell the aggregate report must suppress."""
    wh = Warehouse(engine)
    program = wh.program("PRG-A")
    staff = wh.staff(program, staff_id="S-THISTLE")
    with engine.begin() as conn:
        conn.execute(
            update(DimStaff)
            .where(DimStaff.staff_key == staff)
            .values(first_name="Ophelia", last_name="Thistlewood", email="ophelia@example.org")
        )
    keys: dict[str, list[int]] = {}
    members = [(f"g{i}", g[:3]) for i, g in enumerate(GROUPS) for _ in range(g[3])]
    members += [("spread", s) for s in SPREAD]
    members += [(f"lone{i}", lone) for i, lone in enumerate(LONE)]
    rows = []
    for n, (label, (sex, birth_year, zip3)) in enumerate(members, 1):
        admitted = ADMITTED + dt.timedelta(days=n % 3)
        key = wh.client(
            program,
            admitted,
            counselor_key=staff,
            client_id=f"MRN7788{n:03d}",
            sex=sex,
            birth_year=birth_year,
        )
        keys.setdefault(label, []).append(key)
        with engine.begin() as conn:
            conn.execute(update_zip(key, zip3))
        used_day = {3: {"used": True}} if n % 2 else {}
        rows += steady_days(key, admitted, 30, used_day)
    if small_counselor:
        other = wh.staff(program, staff_id="S-QUILLFEATHER")
        for n in range(SMALL_CASELOAD):
            key = wh.client(
                program,
                ADMITTED + dt.timedelta(days=n % 3),
                counselor_key=other,
                client_id=f"MRN7788S{n:02d}",
                sex="female",
                birth_year=1990,
            )
            keys.setdefault("small", []).append(key)
            rows += steady_days(key, ADMITTED + dt.timedelta(days=n % 3), 30)
    first = keys["g2"][0]
    with engine.begin() as conn:
        conn.execute(
            insert(PiiClient).values(
                client_key=first,
                first_name="Zebulon",
                last_name="Quixote",
                date_of_birth=dt.date(1931, 7, 4),
                zip="03612-4455",
                phone="617-555-0199",
                email="zq@example.org",
            )
        )
    for r in rows:
        r["coping"] = FREE_TEXT + " lone survivor 1931-07-04 Elm Street"
    rows[0]["checkin_id"] = "CKUNIQ1"
    wh.checkins(rows)
    wh.screens(
        [
            {
                "client_key": first,
                "local_date": ADMITTED + dt.timedelta(days=5),
                "result": "positive",
                "screen_id": "SCRUNIQ1",
            }
        ]
    )
    with engine.begin() as conn:
        ck = conn.execute(select(FctCheckin.checkin_key).limit(5)).scalars().all()
        conn.execute(insert(PiiCheckinNote), [{"checkin_key": c, "note": FREE_TEXT} for c in ck])
    refresh(engine, None, AS_OF)
    return keys


def update_zip(key: int, zip3: str):
    from etl.models import DimClient

    return update(DimClient).where(DimClient.client_key == key).values(zip3=zip3)

"""Programs, staff and clients: who exists, where, with whom and from when.

Identities come from a seeded Faker (names only) and seeded numpy draws (everything else),
so a seed always yields the same roster. Contact details are visibly fictional: phone
numbers use the 555 exchange and e-mail addresses the reserved ``example`` domains.
Enrolment is drawn so that every client overlaps the window: some were admitted before it
(the census on its first day), the rest during it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
from faker import Faker

from etl.synth.calendar import Window

# Sites in different US time zones; more programs than sites reuse them with a numeral.
SITES = [
    (
        "America/New_York",
        "Harbor Street Outpatient",
        ["100", "104", "112", "113"],
        ["212", "646", "718", "347"],
    ),
    (
        "America/Chicago",
        "Prairie Path Recovery",
        ["606", "604", "605"],
        ["312", "773", "708", "630"],
    ),
    ("America/Denver", "Front Range Outpatient", ["802", "800", "801"], ["303", "720"]),
    (
        "America/Los_Angeles",
        "Pacific Crest Recovery",
        ["900", "902", "913"],
        ["213", "310", "323", "818"],
    ),
    ("America/Phoenix", "Desert Bloom IOP", ["850", "852", "853"], ["602", "480", "623"]),
]

SUBSTANCES = np.array(
    ["cocaine", "methamphetamine", "amphetamine", "alcohol", "opioids", "cannabis"], dtype=object
)
SUBSTANCE_P = [0.38, 0.22, 0.05, 0.15, 0.12, 0.08]
SCHEDULES = np.array(["daily", "weekdays", "weekly"], dtype=object)
SCHEDULE_P = [0.75, 0.17, 0.08]
SEXES = np.array(["male", "female", "other"], dtype=object)
SEX_P = [0.62, 0.36, 0.02]
CLIENTS_PER_COUNSELOR = 27
NO_PLANNED_END = 10**6  # continuing care: no completion date


@dataclass(frozen=True)
class Roster:
    programs: list[dict[str, str]]
    staff: list[dict[str, str]]
    # one entry per client, in client_id order
    client_id: np.ndarray  # object (str)
    program: np.ndarray  # index into programs
    counselor_id: np.ndarray  # object (str)
    first_name: list[str]
    last_name: list[str]
    date_of_birth: np.ndarray  # datetime64[D]
    sex: np.ndarray  # object (str)
    zip: list[str]
    phone: list[str]
    email: list[str]
    substance: np.ndarray  # index into SUBSTANCES
    schedule: np.ndarray  # index into SCHEDULES
    admission: np.ndarray  # day index in the window (negative: before the window)
    planned_end: np.ndarray  # day index of the planned completion (NO_PLANNED_END: none)

    @property
    def size(self) -> int:
        return int(self.client_id.shape[0])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _programs(n: int) -> list[tuple[dict[str, str], list[str], list[str]]]:
    out = []
    for p in range(n):
        tz, name, zips, areas = SITES[p % len(SITES)]
        if p >= len(SITES):
            name = f"{name} {p // len(SITES) + 1}"
        out.append(({"program_id": f"P{p + 1:02d}", "name": name, "time_zone": tz}, zips, areas))
    return out


def _enrolment(rng: np.random.Generator, n: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Admission and planned completion as day indices, every stay overlapping the window.

    The share admitted before the window is that of a program in steady state whose mean
    stay is about 100 days; their planned stay is stretched when needed so they are still
    enrolled on the window's first day (no one is simulated before it).
    """
    before = rng.random(n) < 100 / (100 + days)
    tenure = rng.integers(1, 181, n)
    admission = np.where(before, -tenure, rng.integers(0, days, n))
    stay = rng.integers(75, 211, n)
    stay = np.where(before, np.maximum(stay, tenure + rng.integers(3, 91, n)), stay)
    planned_end = admission + stay
    continuing = rng.random(n) < 0.15
    return admission.astype(np.int64), np.where(continuing, NO_PLANNED_END, planned_end)


def _mean_census(admission: np.ndarray, planned_end: np.ndarray, days: int) -> np.ndarray:
    """Each client's expected share of the window on the roster (drop-outs leave early).

    Counselors are staffed for the clients active at a time, about 27 each, not for everyone
    who passes through the program during the window.
    """
    first = np.maximum(admission, 0)
    last = np.minimum(planned_end, days - 1)
    return 0.85 * (last - first + 1).clip(0) / days


def make_roster(
    n_clients: int,
    n_programs: int,
    window: Window,
    seed: int,
    *,
    substance_p: list[float] | None = None,
    schedule_p: list[float] | None = None,
) -> Roster:
    """The roster; ``substance_p`` and ``schedule_p`` change the mix (a second program that
    is not the first one under another seed), in the order of SUBSTANCES and SCHEDULES."""
    if n_clients < 1 or n_programs < 1:
        raise ValueError("need at least one client and one program")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    fake = Faker("en_US")
    fake.seed_instance(seed)

    programs = _programs(n_programs)
    # Programs differ in size: weights 1, 0.8, 0.64, ... but every program gets a client.
    weights = 0.8 ** np.arange(n_programs)
    program = rng.choice(n_programs, size=n_clients, p=weights / weights.sum())
    first = min(n_programs, n_clients)
    program[:first] = np.arange(first)

    admission, planned_end = _enrolment(rng, n_clients, window.days)
    census = _mean_census(admission, planned_end, window.days)
    staff: list[dict[str, str]] = []
    width = max(3, len(str(n_clients // CLIENTS_PER_COUNSELOR + 2 * n_programs + 1)))

    def add_staff(program_id: str, role: str) -> str:
        first, last = fake.first_name(), fake.last_name()
        staff_id = f"S{len(staff) + 1:0{width}d}"
        email = f"{_slug(first)}.{_slug(last)}@{program_id.lower()}.example.org"
        staff.append(
            {
                "staff_id": staff_id,
                "program_id": program_id,
                "first_name": first,
                "last_name": last,
                "email": email,
                "role": role,
            }
        )
        return staff_id

    add_staff(programs[0][0]["program_id"], "admin")
    counselor_id = np.empty(n_clients, dtype=object)
    for p, (prog, _, _) in enumerate(programs):
        members = np.flatnonzero(program == p)
        add_staff(prog["program_id"], "supervisor")
        n_couns = max(1, round(census[members].sum() / CLIENTS_PER_COUNSELOR))
        ids = np.array(
            [add_staff(prog["program_id"], "counselor") for _ in range(n_couns)], dtype=object
        )
        # Caseloads are not perfectly balanced: supervisors should see the imbalance.
        share = rng.dirichlet(np.full(n_couns, 8.0))
        counselor_id[members] = ids[rng.choice(n_couns, size=len(members), p=share)]

    sex = rng.choice(len(SEXES), size=n_clients, p=SEX_P)
    first_name = [
        fake.first_name_female()
        if s == 1
        else fake.first_name_male()
        if s == 0
        else fake.first_name()
        for s in sex
    ]
    last_name = [fake.last_name() for _ in range(n_clients)]

    age_days = ((18 + rng.gamma(3.0, 5.5, n_clients).clip(0, 57)) * 365.25).astype(np.int64)
    admission_dates = np.datetime64(window.start, "D") + admission
    date_of_birth = admission_dates - age_days

    zips, phones, emails = [], [], []
    zip_tail = rng.integers(0, 100, n_clients)
    line = rng.integers(0, 10000, n_clients)
    pick = rng.random((n_clients, 2))
    has_email = rng.random(n_clients) >= 0.15
    has_phone = rng.random(n_clients) >= 0.03
    email_num = rng.integers(1, 100, n_clients)
    domains = ["example.com", "example.net", "example.org"]
    for i in range(n_clients):
        _, zip3s, areas = programs[program[i]]
        zips.append(f"{zip3s[int(pick[i, 0] * len(zip3s))]}{zip_tail[i]:02d}")
        area = areas[int(pick[i, 1] * len(areas))]
        phones.append(f"{area}-555-{line[i]:04d}" if has_phone[i] else "")
        emails.append(
            f"{_slug(first_name[i])}.{_slug(last_name[i])}{email_num[i]}@"
            f"{domains[email_num[i] % 3]}"
            if has_email[i]
            else ""
        )

    cwidth = max(5, len(str(n_clients)))
    return Roster(
        programs=[p for p, _, _ in programs],
        staff=staff,
        client_id=np.array([f"C{i + 1:0{cwidth}d}" for i in range(n_clients)], dtype=object),
        program=program,
        counselor_id=counselor_id,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        sex=SEXES[sex],
        zip=zips,
        phone=phones,
        email=emails,
        substance=rng.choice(len(SUBSTANCES), size=n_clients, p=substance_p or SUBSTANCE_P),
        schedule=rng.choice(len(SCHEDULES), size=n_clients, p=schedule_p or SCHEDULE_P),
        admission=admission,
        planned_end=planned_end,
    )


def date_str(day: np.datetime64 | dt.date) -> str:
    return str(np.datetime64(day, "D"))

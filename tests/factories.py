"""Test data, written straight into the warehouse and scored by the real risk engine.

``Warehouse(engine)`` adds programs, staff, clients, check-ins and screens with sensible
defaults and returns their surrogate keys; bulk helpers take lists of dicts, so a test can lay
down months of check-ins in one statement (then ``refresh`` derives client-days and scores).
``seed_world`` is the dashboard's small realistic world: two programs in different time zones,
five staff, a few clients per counselor, ``days`` days of check-ins and weekly screens. The
first client of every counselor turns high risk over the last days and the second only on the
last day, so ranking tests have something definite to find. Tests of the whole pipeline seed
through synth and ingest instead (``dash_pipeline.py``). Names are Faker placeholders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Connection, Engine, insert, select

from etl.models import (
    DimClient,
    DimProgram,
    DimStaff,
    EtlLoad,
    FctCheckin,
    FctDrugScreen,
    MartOutcomesDay,
    MartOutcomesReach,
    MartScreenDay,
    PiiClient,
)
from etl.risk.score import refresh
from etl.vocabulary import TRIGGERS

NOW = dt.datetime(2026, 1, 1)


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, for a CLI or an app to connect with (``str()`` of a
    URL masks the password as ``***``)."""
    return engine.url.render_as_string(hide_password=False)


class Warehouse:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ids = itertools.count(1)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def _insert(self, model, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        pk = model.__table__.primary_key.columns.values()[0]
        with self.engine.begin() as conn:
            if len(rows) == 1:
                return [conn.execute(insert(model).returning(pk), rows).scalar_one()]
            conn.execute(insert(model), rows)
            ids = [r[_natural(model)] for r in rows]
            col = getattr(model, _natural(model))
            found = dict(conn.execute(select(col, pk).where(col.in_(ids))).all())
            return [found[i] for i in ids]

    def program(self, program_id: str | None = None, time_zone: str = "America/New_York") -> int:
        pid = program_id or self._next("PRG")
        return self._insert(
            DimProgram,
            [
                dict(
                    program_id=pid,
                    name=f"Program {pid}",
                    time_zone=time_zone,
                    row_hash="x",
                    updated_at=NOW,
                )
            ],
        )[0]

    def staff(self, program_key: int, role: str = "counselor", staff_id: str | None = None) -> int:
        sid = staff_id or self._next("STF")
        return self._insert(
            DimStaff,
            [
                dict(
                    staff_id=sid,
                    program_key=program_key,
                    first_name="Test",
                    last_name=sid,
                    role=role,
                    row_hash="x",
                    updated_at=NOW,
                )
            ],
        )[0]

    def client(
        self,
        program_key: int,
        admission_date: dt.date,
        *,
        counselor_key: int | None = None,
        discharge_date: dt.date | None = None,
        schedule: str = "daily",
        client_id: str | None = None,
        sex: str | None = None,
        birth_year: int | None = None,
    ) -> int:
        row = dict(
            client_id=client_id or self._next("CL"),
            program_key=program_key,
            counselor_key=counselor_key,
            admission_date=admission_date,
            discharge_date=discharge_date,
            checkin_schedule=schedule,
            sex=sex,
            birth_year=birth_year,
            row_hash="x",
            updated_at=NOW,
        )
        return self._insert(DimClient, [row])[0]

    def name(self, client_key: int, first: str, last: str) -> None:
        """The client's identifiers (``pii_client``), for the pages that show names."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(PiiClient).values(client_key=client_key, first_name=first, last_name=last)
            )

    def clients(self, rows: Iterable[dict[str, Any]]) -> list[int]:
        full = []
        for r in rows:
            r = dict(r)
            r.setdefault("client_id", self._next("CL"))
            r.setdefault("checkin_schedule", r.pop("schedule", "daily"))
            r.setdefault("row_hash", "x")
            r.setdefault("updated_at", NOW)
            full.append(r)
        return self._insert(DimClient, full)

    def checkins(self, rows: Iterable[dict[str, Any]]) -> int:
        """Check-ins from dicts with client_key, local_date and any signal; ``triggers`` may be
        a list of category names; ``used`` and ``support`` are shorthands."""
        full = []
        for r in rows:
            r = dict(r)
            day: dt.date = r["local_date"]
            r.setdefault("checkin_id", self._next("CK"))
            r.setdefault("submitted_at", dt.datetime.combine(day, dt.time(20, 0)))
            if "used" in r:
                r["used_since_last"] = r.pop("used")
            if "support" in r:
                r["support_contact"] = r.pop("support")
            triggers = r.pop("triggers", ()) or ()
            for name in TRIGGERS:
                r.setdefault(f"trigger_{name}", name in triggers)
            r["triggers"] = ";".join(triggers) or None
            r.setdefault("row_hash", "x")
            r.setdefault("updated_at", NOW)
            full.append(r)
        with self.engine.begin() as conn:
            if full:
                conn.execute(insert(FctCheckin), full)
        return len(full)

    def checkin(self, client_key: int, local_date: dt.date, **signals: Any) -> None:
        self.checkins([dict(client_key=client_key, local_date=local_date, **signals)])

    def screen(
        self,
        client_key: int,
        local_date: dt.date,
        result: str = "negative",
        substance: str = "cocaine",
    ) -> None:
        self.screens(
            [dict(client_key=client_key, local_date=local_date, result=result, substance=substance)]
        )

    def screens(self, rows: Iterable[dict[str, Any]]) -> int:
        full = []
        for r in rows:
            r = dict(r)
            r.setdefault("screen_id", self._next("SC"))
            r.setdefault("collected_at", dt.datetime.combine(r["local_date"], dt.time(10, 0)))
            r.setdefault("substance", "cocaine")
            r.setdefault("row_hash", "x")
            r.setdefault("updated_at", NOW)
            full.append(r)
        with self.engine.begin() as conn:
            if full:
                conn.execute(insert(FctDrugScreen), full)
        return len(full)


def _natural(model) -> str:
    return {DimProgram: "program_id", DimStaff: "staff_id", DimClient: "client_id"}[model]


def steady_days(
    client_key: int, first: dt.date, days: int, overrides: dict[int, dict | None] | None = None
) -> list[dict]:
    """A calm client's daily check-ins: craving 2, stress 3, mood 7, 7.5 h of good sleep,
    support contact every day. ``overrides`` maps a day offset to a dict of changed fields,
    or to None for a missed day."""
    out = []
    for i in range(days):
        change = (overrides or {}).get(i, {})
        if change is None:
            continue
        row = dict(
            client_key=client_key,
            local_date=first + dt.timedelta(days=i),
            craving=2,
            stress=3,
            mood=7,
            sleep_hours=7.5,
            sleep_quality=4,
            used=False,
            support=True,
        )
        row.update(change)
        out.append(row)
    return out


AS_OF = dt.date(2026, 11, 26)
PASSWORD = "correct-horse-battery"
PROGRAMS = (
    ("P-EAST", "Eastside Outpatient", "America/New_York"),
    ("P-HARBOR", "Harbor Recovery", "America/Los_Angeles"),
)
STAFF = (
    ("S-C1", "P-EAST", "Ana", "Ruiz", "counselor"),
    ("S-C2", "P-EAST", "Ben", "Okafor", "counselor"),
    ("S-S1", "P-EAST", "Carla", "Diaz", "supervisor"),
    ("S-C3", "P-HARBOR", "Dev", "Patel", "counselor"),
    ("S-S2", "P-HARBOR", "Erin", "Walsh", "supervisor"),
)
# Scored as of the morning after AS_OF: both programs' AS_OF is over (Los Angeles at 08:00 UTC).
SCORED_AT = dt.datetime(2026, 11, 27, 9, 0)


@dataclass
class World:
    as_of: dt.date
    programs: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)
    caseloads: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    discharged: list[str] = field(default_factory=list)


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, default=str, sort_keys=True).encode()).hexdigest()


def seed_world(
    engine: Engine,
    *,
    as_of: dt.date = AS_OF,
    days: int = 60,
    per_counselor: dict[str, int] | None = None,
    seed: int = 7,
) -> World:
    """Insert the world and return its keys. Deterministic for a given seed."""
    per_counselor = per_counselor or {"S-C1": 8, "S-C2": 5, "S-C3": 4}
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    now = dt.datetime(2026, 11, 27, 6, 0)
    world = World(as_of=as_of)
    with engine.begin() as conn:
        for pid, name, tz in PROGRAMS:
            world.programs[pid] = conn.execute(
                insert(DimProgram)
                .values(
                    program_id=pid, name=name, time_zone=tz, row_hash=_hash(pid), updated_at=now
                )
                .returning(DimProgram.program_key)
            ).scalar_one()
        for sid, pid, first, last, role in STAFF:
            world.staff[sid] = conn.execute(
                insert(DimStaff)
                .values(
                    staff_id=sid,
                    program_key=world.programs[pid],
                    first_name=first,
                    last_name=last,
                    email=f"{first.lower()}@example.org",
                    role=role,
                    row_hash=_hash(sid),
                    updated_at=now,
                )
                .returning(DimStaff.staff_key)
            ).scalar_one()
        tz_of = {pid: tz for pid, _, tz in PROGRAMS}
        program_of = {sid: pid for sid, pid, *_ in STAFF}
        n = 0
        checkin_rows, screen_rows = [], []
        for sid, count in per_counselor.items():
            world.caseloads[sid] = []
            for i in range(count):
                n += 1
                cid = f"C-{n:04d}"
                pid = program_of[sid]
                admission = as_of - dt.timedelta(days=days - 1 + rng.randint(0, 60))
                discharge = (
                    as_of - dt.timedelta(days=5) if (sid == "S-C1" and i == count - 1) else None
                )
                key = conn.execute(
                    insert(DimClient)
                    .values(
                        client_id=cid,
                        program_key=world.programs[pid],
                        counselor_key=world.staff[sid],
                        sex=rng.choice(["female", "male"]),
                        birth_year=rng.randint(1960, 2002),
                        zip3="021",
                        admission_date=admission,
                        discharge_date=discharge,
                        primary_substance=rng.choice(["cocaine", "methamphetamine", "alcohol"]),
                        checkin_schedule="weekdays" if i == 2 else "daily",
                        row_hash=_hash(cid),
                        updated_at=now,
                    )
                    .returning(DimClient.client_key)
                ).scalar_one()
                first, last = fake.first_name(), fake.last_name()
                conn.execute(
                    insert(PiiClient).values(
                        client_key=key,
                        first_name=first,
                        last_name=last,
                        date_of_birth=dt.date(1985, 3, 14),
                        zip="02139",
                        phone=fake.numerify("617-555-####"),
                        email=f"{cid.lower()}@example.org",
                    )
                )
                world.clients[cid] = key
                world.names[cid] = f"{first} {last}"
                if discharge:
                    world.discharged.append(cid)
                else:
                    world.caseloads[sid].append(cid)
                _checkins(
                    rng,
                    key,
                    cid,
                    i,
                    as_of,
                    days,
                    discharge,
                    tz_of[pid],
                    checkin_rows,
                    screen_rows,
                    now,
                )
        conn.execute(insert(FctCheckin), checkin_rows)
        if screen_rows:
            conn.execute(insert(FctDrugScreen), screen_rows)
        record_fresh_loads(conn)
    # The real risk engine derives the client-days and scores, as ingest does.
    refresh(engine, None, as_of, now=SCORED_AT.replace(tzinfo=dt.UTC))
    return world


def record_fresh_loads(conn) -> None:
    """As if each kind had just been loaded, so pages show fresh data, not a stale banner."""
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    conn.execute(
        insert(EtlLoad),
        [
            {
                "path": f"{kind}.csv",
                "kind": kind,
                "started_at": loaded_at,
                "finished_at": loaded_at,
                "status": "loaded",
            }
            for kind in ("programs", "staff", "clients", "checkins", "drug_screens")
        ],
    )


def _checkins(
    rng,
    key,
    cid,
    index,
    as_of,
    days,
    discharge,
    tz,
    checkin_rows,
    screen_rows,
    now,
) -> None:
    craving, stress, mood, sleep = rng.uniform(1, 4), rng.uniform(2, 5), rng.uniform(5, 8), 7.0
    last_day = min(as_of, discharge) if discharge else as_of
    start = as_of - dt.timedelta(days=days - 1)
    n_days = (last_day - start).days + 1
    for offset in range(n_days):
        day = start + dt.timedelta(days=offset)
        to_end = (last_day - day).days
        craving = min(10, max(0, craving + rng.gauss(0, 0.8)))
        stress = min(10, max(0, stress + rng.gauss(0, 0.8)))
        mood = min(10, max(0, mood + rng.gauss(0, 0.7)))
        sleep = min(10, max(3, sleep + rng.gauss(0, 0.6)))
        if index == 0 and to_end < 5:  # high over the last days
            craving, stress, sleep, mood = 8, 8, 4.0, 2
        elif index == 1 and to_end == 0:  # newly high today
            craving, stress, sleep = 7, 8, 4.0
        elif index in (0, 1) and to_end < 8:
            craving, stress, sleep, mood = 2, 3, 7.5, 7
        weekend = day.weekday() >= 5
        expected = not (index == 2 and weekend)
        miss_p = 0.45 if index == 3 else 0.08
        received = expected and (rng.random() > miss_p) and not (index == 3 and to_end < 3)
        if index in (0, 1) and to_end < 8:
            received = True
        used = received and rng.random() < 0.03
        trig = {t: received and rng.random() < 0.15 for t in TRIGGERS}
        vals = {
            "craving": round(craving),
            "stress": round(stress),
            "mood": round(mood),
            "sleep_hours": round(sleep, 1),
            "sleep_quality": max(1, min(5, round(sleep - 3))),
            "used": used,
        }
        if received:
            local = dt.datetime.combine(day, dt.time(20, 15), tzinfo=ZoneInfo(tz))
            submitted = local.astimezone(dt.UTC).replace(tzinfo=None)
            checkin_rows.append(
                {
                    "checkin_id": f"{cid}-{day:%Y%m%d}",
                    "client_key": key,
                    "submitted_at": submitted,
                    "local_date": day,
                    "craving": vals["craving"],
                    "stress": vals["stress"],
                    "mood": vals["mood"],
                    "sleep_hours": vals["sleep_hours"],
                    "sleep_quality": vals["sleep_quality"],
                    "used_since_last": used,
                    "triggers": ";".join(t for t, on in trig.items() if on) or None,
                    **{f"trigger_{t}": on for t, on in trig.items()},
                    "support_contact": True,
                    "coping": None,
                    "row_hash": _hash((cid, day)),
                    "updated_at": now,
                }
            )
        if day.weekday() == 1:
            positive = index == 0 and to_end < 7
            collected = dt.datetime.combine(day, dt.time(15, 0))
            screen_rows.append(
                {
                    "screen_id": f"{cid}-S{day:%Y%m%d}",
                    "client_key": key,
                    "collected_at": collected,
                    "local_date": day,
                    "substance": "cocaine",
                    "result": "positive" if positive else "negative",
                    "row_hash": _hash((cid, "s", day)),
                    "updated_at": now,
                }
            )


def add_user(
    engine: Engine,
    username: str,
    role: str,
    *,
    staff_id: str | None = None,
    program_id: str | None = None,
    password: str = PASSWORD,
) -> int:
    from dashboard.commands.users import create_user

    with engine.begin() as conn:
        return create_user(
            conn,
            username=username,
            role=role,
            password=password,
            staff_id=staff_id,
            program_id=program_id,
        ).user_id


def add_standard_users(engine: Engine) -> dict[str, int]:
    """One login per role and program: ana (S-C1), ben (S-C2), carla (supervisor, P-EAST),
    dev (S-C3), erin (supervisor, P-HARBOR), root (admin)."""
    return {
        "ana": add_user(engine, "ana", "counselor", staff_id="S-C1"),
        "ben": add_user(engine, "ben", "counselor", staff_id="S-C2"),
        "carla": add_user(engine, "carla", "supervisor", staff_id="S-S1"),
        "dev": add_user(engine, "dev", "counselor", staff_id="S-C3"),
        "erin": add_user(engine, "erin", "supervisor", staff_id="S-S2"),
        "root": add_user(engine, "root", "admin", program_id="P-EAST"),
    }


def main(argv: list[str] | None = None) -> None:
    """Seed an empty, migrated warehouse for a look at the dashboard without the pipeline:
    ``caseload init-db && python tests/factories.py && caseload users demo``."""
    import argparse

    from etl.db import make_engine

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args(argv)
    world = seed_world(
        make_engine(args.database_url),
        days=args.days,
        per_counselor={"S-C1": 24, "S-C2": 12, "S-C3": 10},
    )
    print(f"seeded {len(world.clients)} clients, scores up to {world.as_of}")


if __name__ == "__main__":
    main()


# A small hand-made caseload whose numbers are worked out by hand in the tests of the Missed
# and Sleep & stress pages. Today is Friday Nov 27, 2026, scored at 09:00 in New York while
# the day is still in progress; everyone was admitted 39 days before today.
SMALL_TODAY = dt.date(2026, 11, 27)
SMALL_SCORED_AT = dt.datetime(2026, 11, 27, 14, 0)  # UTC: 09:00 in New York


@dataclass
class SmallWorld:
    today: dt.date
    programs: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)  # client_id -> key
    names: dict[str, str] = field(default_factory=dict)


def seed_small_caseload(engine: Engine) -> SmallWorld:
    """Counselor K1 (program SM-1) holds four clients, K2 (same program) and O1 (program SM-2)
    one each, so forged keys have somewhere to point:

    * ``SM-A`` Abel Ames, daily: missed Nov 24, 25 and 26 (a streak of 3), nothing yet today;
    * ``SM-B`` Bea Boyd, daily: missed Nov 7 and Nov 17, checked in today; slept 5 h on
      Nov 21, 22 and 23 (3 short nights of the last 7);
    * ``SM-C`` Cara Cole, weekdays: every weekday, today included;
    * ``SM-D`` Dana Diaz, daily: every day but today (pending); stress 9 on Nov 26 after a
      steady 3.
    """
    w = Warehouse(engine)
    world = SmallWorld(today=SMALL_TODAY)
    for pid in ("SM-1", "SM-2"):
        world.programs[pid] = w.program(pid)
    for sid, pid, role in (
        ("K1", "SM-1", "counselor"),
        ("K2", "SM-1", "counselor"),
        ("KS", "SM-1", "supervisor"),
        ("O1", "SM-2", "counselor"),
        ("OS", "SM-2", "supervisor"),
    ):
        world.staff[sid] = w.staff(world.programs[pid], role=role, staff_id=sid)
    admitted = SMALL_TODAY - dt.timedelta(days=39)
    today_offset = 39
    people = (
        ("SM-A", "K1", "Abel", "Ames", "daily"),
        ("SM-B", "K1", "Bea", "Boyd", "daily"),
        ("SM-C", "K1", "Cara", "Cole", "weekdays"),
        ("SM-D", "K1", "Dana", "Diaz", "daily"),
        ("SM-E", "K2", "Eli", "Egan", "daily"),
        ("SM-F", "O1", "Fay", "Fox", "daily"),
    )
    for cid, sid, first, last, schedule in people:
        program = "SM-2" if sid == "O1" else "SM-1"
        key = w.client(
            world.programs[program],
            admitted,
            counselor_key=world.staff[sid],
            schedule=schedule,
            client_id=cid,
        )
        w.name(key, first, last)
        world.clients[cid] = key
        world.names[cid] = f"{first} {last}"

    def off(day: dt.date) -> int:
        return (day - admitted).days

    def d(n: int) -> dt.date:  # n days before today
        return SMALL_TODAY - dt.timedelta(days=n)

    rows = []
    rows += steady_days(
        world.clients["SM-A"], admitted, today_offset + 1, {off(d(n)): None for n in (0, 1, 2, 3)}
    )
    short = {off(d(n)): {"sleep_hours": 5.0} for n in (4, 5, 6)}
    rows += steady_days(
        world.clients["SM-B"],
        admitted,
        today_offset + 1,
        {**short, off(d(10)): None, off(d(20)): None},
    )
    weekend = {
        i: None for i in range(today_offset + 1) if (admitted + dt.timedelta(days=i)).weekday() >= 5
    }
    rows += steady_days(world.clients["SM-C"], admitted, today_offset + 1, weekend)
    rows += steady_days(
        world.clients["SM-D"],
        admitted,
        today_offset + 1,
        {off(d(1)): {"stress": 9}, off(d(0)): None},
    )
    rows += steady_days(world.clients["SM-E"], admitted, today_offset + 1)
    rows += steady_days(world.clients["SM-F"], admitted, today_offset + 1)
    for row in rows:  # this morning's check-ins came in before the 09:00 load
        if row["local_date"] == SMALL_TODAY:
            row["submitted_at"] = dt.datetime(2026, 11, 27, 12, 30)
    w.checkins(rows)
    with engine.begin() as conn:
        record_fresh_loads(conn)
    refresh(engine, None, SMALL_TODAY, now=SMALL_SCORED_AT.replace(tzinfo=dt.UTC))
    return world


def add_small_users(engine: Engine) -> dict[str, int]:
    """kim (K1), lee (K2), sue (supervisor of SM-1), otto (O1), oona (supervisor of SM-2) and
    an admin, root."""
    return {
        "kim": add_user(engine, "kim", "counselor", staff_id="K1"),
        "lee": add_user(engine, "lee", "counselor", staff_id="K2"),
        "sue": add_user(engine, "sue", "supervisor", staff_id="KS"),
        "otto": add_user(engine, "otto", "counselor", staff_id="O1"),
        "oona": add_user(engine, "oona", "supervisor", staff_id="OS"),
        "root": add_user(engine, "root", "admin", program_id="SM-1"),
    }


def mart_rows(conn: Connection) -> dict[str, list[tuple]]:
    """Every mart row without its surrogate key, sorted: two states compare as lists. Float
    sums are rounded to 9 places (their order of addition differs between an incremental and
    a full rebuild)."""
    out = {}
    for mart in (MartOutcomesDay, MartScreenDay, MartOutcomesReach):
        cols = [c for c in mart.__table__.columns if c.name != "row_key"]
        rows = conn.execute(select(*cols)).all()
        out[mart.__tablename__] = sorted(
            (tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows),
            key=lambda r: tuple(str(v) for v in r),
        )
    return out

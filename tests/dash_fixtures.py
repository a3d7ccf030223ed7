"""A small, realistic warehouse for dashboard tests, written straight into the tables.

Two programs in different time zones, five staff, a few clients per counselor, ``days`` days
of check-ins, client-day facts, drug screens and risk scores with reasons in the shape the risk
engine stores. The first client of every counselor is made high risk over the last days and
the second newly high on the last day, so ranking tests have something definite to find.
Tiers use the shipped risk thresholds and each day stores its signals' personal baseline (mean
and SD of the previous 28 days' answers, from 7 on), as the engine does; the scores themselves
come from a simpler points model. Tests of the real pipeline seed through synth and ingest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, field
from statistics import fmean, stdev
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Engine, insert

from etl.models import (
    DimClient,
    DimProgram,
    DimStaff,
    FctCheckin,
    FctClientDay,
    FctDrugScreen,
    FctRiskScore,
    PiiClient,
)
from etl.risk.config import default_config

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
TRIGGERS = ("people", "places", "music", "routines", "emotions", "other")
_TIERS = default_config().tiers
TIER_FLOORS = (
    ("critical", _TIERS.critical),
    ("high", _TIERS.high),
    ("moderate", _TIERS.moderate),
    ("low", 0.0),
)
SIGNALS = ("craving", "stress", "mood", "sleep_hours", "sleep_quality")
BASELINE_DAYS, BASELINE_MIN = 28, 7


@dataclass
class World:
    as_of: dt.date
    programs: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)
    caseloads: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    discharged: list[str] = field(default_factory=list)


def tier_for(score: float) -> str:
    return next(t for t, floor in TIER_FLOORS if score >= floor)


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, default=str, sort_keys=True).encode()).hexdigest()


def _reasons(d: dict, streak: int) -> tuple[float, list[dict]]:
    """A simple points model in the risk engine's output shape (reasons ranked by points)."""
    parts = []
    if d.get("sleep_hours") is not None and d["sleep_hours"] < 6:
        parts.append(
            {
                "code": "sleep",
                "signal": "poor sleep",
                "text": f"slept {d['sleep_hours']:.1f} h last night",
                "points": round((6 - d["sleep_hours"]) * 6, 1),
                "values": {"sleep_hours": d["sleep_hours"]},
            }
        )
    if d.get("stress") is not None and d["stress"] >= 6:
        parts.append(
            {
                "code": "stress",
                "signal": "stress",
                "text": f"stress {d['stress']:.0f}/10, above own baseline",
                "points": round((d["stress"] - 4) * 5, 1),
                "values": {"stress": d["stress"]},
            }
        )
    if d.get("craving") is not None and d["craving"] >= 5:
        parts.append(
            {
                "code": "craving",
                "signal": "craving",
                "text": f"craving {d['craving']:.0f}/10",
                "points": round((d["craving"] - 3) * 5, 1),
                "values": {"craving": d["craving"]},
            }
        )
    if d.get("mood") is not None and d["mood"] <= 3:
        parts.append(
            {
                "code": "mood",
                "signal": "emotional withdrawal",
                "text": f"mood {d['mood']:.0f}/10",
                "points": round((5 - d["mood"]) * 4, 1),
                "values": {"mood": d["mood"]},
            }
        )
    if streak >= 2:
        parts.append(
            {
                "code": "disengagement",
                "signal": "disengagement",
                "text": f"{streak} check-ins missed in a row",
                "points": 8.0 * streak,
                "values": {"missed_streak": streak},
            }
        )
    if d.get("used"):
        parts.append(
            {"code": "use", "signal": "use", "text": "reported use", "points": 30.0, "values": {}}
        )
    parts.sort(key=lambda r: -r["points"])
    score = min(100.0, 8.0 + sum(p["points"] for p in parts))
    return round(score, 1), parts


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
        days_rows, risk_rows, checkin_rows, screen_rows = [], [], [], []
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
                _client_days(
                    rng,
                    key,
                    cid,
                    i,
                    as_of,
                    days,
                    discharge,
                    tz_of[pid],
                    days_rows,
                    risk_rows,
                    checkin_rows,
                    screen_rows,
                    now,
                )
        conn.execute(insert(FctClientDay), days_rows)
        conn.execute(insert(FctRiskScore), risk_rows)
        conn.execute(insert(FctCheckin), checkin_rows)
        if screen_rows:
            conn.execute(insert(FctDrugScreen), screen_rows)
    return world


def _client_days(
    rng,
    key,
    cid,
    index,
    as_of,
    days,
    discharge,
    tz,
    days_rows,
    risk_rows,
    checkin_rows,
    screen_rows,
    now,
) -> None:
    craving, stress, mood, sleep = rng.uniform(1, 4), rng.uniform(2, 5), rng.uniform(5, 8), 7.0
    streak, prev_score, prev_tier = 0, None, None
    answers: list[tuple[int, dict]] = []  # (day offset, values) of received days
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
        streak = streak + 1 if (expected and not received) else (0 if received else streak)
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
        window = [v for o, v in answers if offset - BASELINE_DAYS <= o < offset]
        baselines = {}
        for sig in SIGNALS:
            past = [float(v[sig]) for v in window]
            enough = len(past) >= BASELINE_MIN
            baselines[f"{sig}_baseline"] = fmean(past) if enough else None
            baselines[f"{sig}_sd"] = stdev(past) if enough else None
        if received:
            answers.append((offset, vals))
        days_rows.append(
            {
                "client_key": key,
                "date": day,
                **baselines,
                "is_expected": expected,
                "is_received": received,
                "checkin_count": int(received),
                **{
                    k: float(vals[k]) if received else None
                    for k in ("craving", "stress", "mood", "sleep_hours", "sleep_quality")
                },
                "used_reported": used,
                "screen_positive": False,
                "trigger_count": sum(trig.values()),
                "support_contact": received or None,
                "missed_streak": streak,
                "adherence_7d": None,
                "adherence_28d": None,
                "is_missed": expected and not received,
            }
        )
        score, reasons = _reasons(vals if received else {}, streak)
        tier = tier_for(score)
        risk_rows.append(
            {
                "client_key": key,
                "date": day,
                "score": score,
                "tier": tier,
                "score_change": None if prev_score is None else round(score - prev_score, 1),
                "is_newly_high": tier in ("high", "critical")
                and prev_tier not in ("high", "critical")
                and prev_tier is not None,
                "reasons": reasons,
                "rule_version": "test-1",
                "config_hash": "0" * 64,
                "computed_at": now,
            }
        )
        prev_score, prev_tier = score, tier
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
    from dashboard.users import create_user

    with engine.begin() as conn:
        return create_user(
            conn,
            username=username,
            role=role,
            password=password,
            staff_id=staff_id,
            program_id=program_id,
        )


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
    ``caseload init-db && python tests/dash_fixtures.py && caseload users demo``."""
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

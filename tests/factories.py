"""Rows inserted straight into the warehouse, for tests that need a database but not ingest.

``Warehouse(engine)`` adds programs, staff, clients, check-ins and screens with sensible
defaults and returns their surrogate keys. Bulk helpers take lists of dicts, so a test can lay
down months of check-ins in one statement. Nothing here is PHI: names are placeholders.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, insert, select

from etl.models import DimClient, DimProgram, DimStaff, FctCheckin, FctDrugScreen

TRIGGER_NAMES = ("people", "places", "music", "routines", "emotions", "other")
NOW = dt.datetime(2026, 1, 1)


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
            for name in TRIGGER_NAMES:
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

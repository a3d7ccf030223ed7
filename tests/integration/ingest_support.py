"""Shared helpers for the ingest tests: the fixture files and small readers of the warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine, func, select

from etl.models import EtlLoad, EtlQuarantine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
ROSTER = ("programs.csv", "staff.csv", "clients.csv")
ALL = (*ROSTER, "checkins.csv", "drug_screens.csv")
CHECKIN_HEADER = (
    "checkin_id,client_id,submitted_at,craving,stress,mood,sleep_hours,sleep_quality,"
    "used_since_last,triggers,support_contact,coping,note"
)


def copy_fixtures(dest: Path, names=ALL) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        shutil.copy(FIXTURES / name, dest / name)
        out.append(dest / name)
    return out


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def checkins(path: Path, *rows: str) -> Path:
    return write(path, "\n".join([CHECKIN_HEADER, *rows]) + "\n")


def count(engine: Engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def quarantine(engine: Engine, status: str | None = None) -> list:
    stmt = select(EtlQuarantine).order_by(EtlQuarantine.quarantine_id)
    if status:
        stmt = stmt.where(EtlQuarantine.status == status)
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def loads(engine: Engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(select(EtlLoad).order_by(EtlLoad.load_id)).all())

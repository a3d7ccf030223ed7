"""``staff.csv``: counselors, supervisors and admins of each program."""

from __future__ import annotations

import pandas as pd

from etl.ingest.fields import Enum, Id, Pattern, Text
from etl.ingest.kinds.base import Kind, Target, retry_hint
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems
from etl.ingest.resolve import look_up
from etl.models import DimStaff

ROLES = ("counselor", "supervisor", "admin")
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def build(rows: pd.DataFrame, lookups: Lookups, problems: Problems) -> pd.DataFrame:
    program = look_up(
        rows["program_id"],
        lookups.programs,
        ["program_key"],
        problems,
        "program_id",
        retry_hint("programs", "programs.csv"),
    )
    out = rows[["staff_id", "first_name", "last_name", "email", "role"]].copy()
    out["program_key"] = program["program_key"].astype("Int64")
    return out


KIND = Kind(
    name="staff",
    order=20,
    signature="staff_id",
    needs=frozenset({"programs"}),
    fields=(
        Id("staff_id"),
        Id("program_id"),
        Text("first_name", required=True, max_len=100),
        Text("last_name", required=True, max_len=100),
        Pattern("email", regex=EMAIL_RE, description="an e-mail address", max_len=200),
        Enum("role", required=True, values=ROLES),
    ),
    target=Target(
        table=DimStaff.__table__,
        natural_key="staff_id",
        surrogate_key="staff_key",
        columns=("program_key", "first_name", "last_name", "email", "role"),
    ),
    build=build,
)

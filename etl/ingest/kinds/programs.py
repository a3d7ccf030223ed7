"""``programs.csv``: one row per treatment program and the time zone its clients live in."""

from __future__ import annotations

import pandas as pd

from etl.ingest.fields import Id, Text, TimeZone
from etl.ingest.kinds.base import Kind, Target
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems
from etl.models import DimProgram


def build(rows: pd.DataFrame, lookups: Lookups, problems: Problems) -> pd.DataFrame:
    return rows[["program_id", "name", "time_zone"]]


KIND = Kind(
    name="programs",
    order=10,
    signature="program_id",
    fields=(
        Id("program_id"),
        Text("name", required=True, max_len=200),
        TimeZone("time_zone", required=True),
    ),
    target=Target(
        table=DimProgram.__table__,
        natural_key="program_id",
        surrogate_key="program_key",
        columns=("name", "time_zone"),
    ),
    build=build,
)

"""``drug_screens.csv``: urine or oral-fluid screen results from the lab or the EHR."""

from __future__ import annotations

import pandas as pd

from etl.ingest.fields import Enum, Id, Text, Timestamp
from etl.ingest.kinds.base import Kind, Target, retry_hint
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems
from etl.ingest.resolve import look_up, to_utc
from etl.models import FctDrugScreen

RESULTS = ("positive", "negative", "dilute", "invalid", "refused")


def build(rows: pd.DataFrame, lookups: Lookups, problems: Problems) -> pd.DataFrame:
    client = look_up(
        rows["client_id"],
        lookups.clients,
        ["client_key", "time_zone"],
        problems,
        "client_id",
        retry_hint("the roster", "clients.csv"),
    )
    utc, local_date = to_utc(rows["collected_at"], rows["collected_at__utc"], client["time_zone"])
    out = rows[["screen_id", "substance", "result"]].copy()
    out["client_key"] = client["client_key"].astype("Int64")
    out["collected_at"] = utc
    out["local_date"] = local_date
    return out


KIND = Kind(
    name="drug_screens",
    order=50,
    signature="screen_id",
    needs=frozenset({"clients"}),
    fields=(
        Id("screen_id"),
        Id("client_id"),
        Timestamp("collected_at", required=True),
        Text("substance", required=True, max_len=64, lower=True),
        Enum("result", required=True, values=RESULTS),
    ),
    target=Target(
        table=FctDrugScreen.__table__,
        natural_key="screen_id",
        surrogate_key="screen_key",
        columns=("client_key", "collected_at", "local_date", "substance", "result"),
        touch=("client_key", "local_date"),
    ),
    build=build,
)

"""``bam.csv``: Brief Addiction Monitor forms, one row per completed form.

Answers are 0-4 and the recall period is the monthly (30 days) or weekly (7 days) form; any
other answer is quarantined with its reason rather than scored. The 15 items that make up the
Use, Risk and Protective scales are required (a scale with a hole in it is not a score); items
7a-7g and 17 stand alone and may be blank. Scores are derived here, on load, by ``etl.bam``.
"""

from __future__ import annotations

import pandas as pd

from etl import bam
from etl.ingest.fields import Id, Int, IntChoice, Timestamp
from etl.ingest.kinds.base import Kind, Target, retry_hint
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems
from etl.ingest.resolve import look_up, to_utc
from etl.models import FctBam

DERIVED = (
    "use_score",
    "risk_score",
    "protective_score",
    "is_use_flagged",
    "is_risk_flagged",
    "is_protective_flagged",
)


def build(rows: pd.DataFrame, lookups: Lookups, problems: Problems) -> pd.DataFrame:
    client = look_up(
        rows["client_id"],
        lookups.clients,
        ["client_key", "time_zone"],
        problems,
        "client_id",
        retry_hint("the roster", "clients.csv"),
    )
    utc, local_date = to_utc(rows["completed_at"], rows["completed_at__utc"], client["time_zone"])
    out = rows[["response_id", "recall_days", *bam.ITEMS]].copy()
    out["client_key"] = client["client_key"].astype("Int64")
    out["completed_at"] = utc
    out["local_date"] = local_date
    scored = bam.scores(rows[list(bam.ITEMS)])
    for column in DERIVED:
        out[column] = scored[column]
    return out


KIND = Kind(
    name="bam",
    order=60,
    signature="response_id",
    needs=frozenset({"clients"}),
    fields=(
        Id("response_id"),
        Id("client_id"),
        Timestamp("completed_at", required=True),
        IntChoice("recall_days", required=True, values=bam.RECALL_DAYS),
        *(
            Int(item, lo=bam.ITEM_LO, hi=bam.ITEM_HI, required=item in bam.SCORED)
            for item in bam.ITEMS
        ),
    ),
    target=Target(
        table=FctBam.__table__,
        natural_key="response_id",
        surrogate_key="bam_key",
        columns=("client_key", "completed_at", "local_date", "recall_days", *bam.ITEMS, *DERIVED),
        derived=DERIVED,
        touch=("client_key", "local_date"),
    ),
    build=build,
)

"""``checkins.csv``: the daily self-report, one row per submitted check-in.

The submitted time becomes UTC and the check-in's calendar date is the program-local date, so a
check-in sent at 11 pm in Denver belongs to that evening, not to the next UTC day. The free-text
note goes to ``pii_checkin_note``; triggers are kept as a normalised list and as one flag each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.ingest.fields import Float, Id, Int, Text, Timestamp, TokenList, YesNo
from etl.ingest.kinds.base import Kind, Target, retry_hint
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems
from etl.ingest.resolve import look_up, to_utc
from etl.models import FctCheckin, PiiCheckinNote
from etl.vocabulary import CHECKIN_ANSWERS, SIGNAL_SCALES, TRIGGERS

LO = {s: lo for s, (lo, _hi) in SIGNAL_SCALES.items()}
HI = {s: hi for s, (_lo, hi) in SIGNAL_SCALES.items()}


def build(rows: pd.DataFrame, lookups: Lookups, problems: Problems) -> pd.DataFrame:
    client = look_up(
        rows["client_id"],
        lookups.clients,
        ["client_key", "time_zone"],
        problems,
        "client_id",
        retry_hint("the roster", "clients.csv"),
    )
    utc, local_date = to_utc(rows["submitted_at"], rows["submitted_at__utc"], client["time_zone"])
    out = rows[["checkin_id", *CHECKIN_ANSWERS]].copy()
    out["client_key"] = client["client_key"].astype("Int64")
    out["submitted_at"] = utc
    out["local_date"] = local_date
    # A handful of distinct trigger lists in a million rows: decide each flag once per list.
    codes, lists = pd.factorize(rows["triggers"].fillna(""), use_na_sentinel=False)
    for trigger in TRIGGERS:
        has = np.array([trigger in str(items).split(";") for items in lists], dtype=bool)
        out[f"trigger_{trigger}"] = has[codes] if len(codes) else np.zeros(0, dtype=bool)
    return out


KIND = Kind(
    name="checkins",
    order=40,
    signature="checkin_id",
    needs=frozenset({"clients"}),
    fields=(
        Id("checkin_id"),
        Id("client_id"),
        Timestamp("submitted_at", required=True),
        Int("craving", lo=LO["craving"], hi=HI["craving"]),
        Int("stress", lo=LO["stress"], hi=HI["stress"]),
        Int("mood", lo=LO["mood"], hi=HI["mood"]),
        Float("sleep_hours", lo=LO["sleep_hours"], hi=HI["sleep_hours"]),
        Int("sleep_quality", lo=LO["sleep_quality"], hi=HI["sleep_quality"]),
        YesNo("used_since_last"),
        TokenList("triggers", vocabulary=TRIGGERS),
        YesNo("support_contact"),
        Text("coping", max_len=500),
        Text("note", max_len=4000, pii=True),
    ),
    target=Target(
        table=FctCheckin.__table__,
        natural_key="checkin_id",
        surrogate_key="checkin_key",
        columns=(
            "client_key",
            "submitted_at",
            "local_date",
            "craving",
            "stress",
            "mood",
            "sleep_hours",
            "sleep_quality",
            "used_since_last",
            "triggers",
            *(f"trigger_{t}" for t in TRIGGERS),
            "support_contact",
            "coping",
        ),
        derived=tuple(f"trigger_{t}" for t in TRIGGERS),
        satellite=PiiCheckinNote.__table__,
        satellite_columns=("note",),
        satellite_when="note",
        pii=frozenset({"note"}),
        touch=("client_key", "local_date"),
    ),
    build=build,
)

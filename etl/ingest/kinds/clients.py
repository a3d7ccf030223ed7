"""``clients.csv``, the roster: analytic attributes to ``dim_client``, identifiers apart.

The birth date and ZIP code are split on the way in: ``dim_client`` keeps only the birth year
and a Safe Harbor ZIP3 (``000`` for the three-digit areas of under 20,000 people), which is all
that analyses and anonymized exports may use; the full values stay in ``pii_client``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from etl.ingest.fields import Date, Enum, Id, Pattern, Text
from etl.ingest.kinds.base import Kind, RowRule, Target, retry_hint
from etl.ingest.lookups import Lookups
from etl.ingest.problems import Problems
from etl.ingest.resolve import look_up
from etl.models import DimClient, PiiClient

SCHEDULES = ("daily", "weekdays", "weekly")
ZIP_RE = r"^\d{5}(-\d{4})?$"
PHONE_RE = r"^[0-9+().\-\s]{7,40}$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# 45 CFR 164.514(b)(2)(i)(B): three-digit ZIP areas of 20,000 people or fewer (2000 census).
RESTRICTED_ZIP3 = frozenset(
    [
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    ]
)


def zip3(zips: pd.Series) -> pd.Series:
    head = zips.str.slice(0, 3)
    return head.where(~head.isin(RESTRICTED_ZIP3), "000")


def build(rows: pd.DataFrame, lookups: Lookups, problems: Problems) -> pd.DataFrame:
    program = look_up(
        rows["program_id"],
        lookups.programs,
        ["program_key"],
        problems,
        "program_id",
        retry_hint("programs", "programs.csv"),
    )
    counselor = look_up(
        rows["counselor_id"],
        lookups.staff,
        ["staff_key"],
        problems,
        "counselor_id",
        retry_hint("staff", "staff.csv"),
    )
    out = rows[
        [
            "client_id",
            "sex",
            "admission_date",
            "discharge_date",
            "primary_substance",
            "checkin_schedule",
            "first_name",
            "last_name",
            "date_of_birth",
            "zip",
            "phone",
            "email",
        ]
    ].copy()
    out["program_key"] = program["program_key"].astype("Int64")
    out["counselor_key"] = counselor["staff_key"].astype("Int64")
    out["birth_year"] = rows["date_of_birth"].dt.year.astype("Int64")
    out["zip3"] = zip3(rows["zip"])
    return out


KIND = Kind(
    name="clients",
    order=30,
    signature="admission_date",
    needs=frozenset({"programs", "staff"}),
    fields=(
        Id("client_id"),
        Id("program_id"),
        Id("counselor_id", required=False),
        Text("first_name", required=True, max_len=100, pii=True),
        Text("last_name", required=True, max_len=100, pii=True),
        Date("date_of_birth", pii=True, lo="1900-01-01", hi_today=True),
        Text("sex", max_len=16, lower=True),
        Pattern("zip", pii=True, regex=ZIP_RE, description="a US ZIP code", max_len=10),
        Pattern("phone", pii=True, regex=PHONE_RE, description="a phone number", max_len=40),
        Pattern("email", pii=True, regex=EMAIL_RE, description="an e-mail address", max_len=200),
        Date("admission_date", required=True, lo="1990-01-01"),
        Date("discharge_date", lo="1990-01-01"),
        Text("primary_substance", max_len=64, lower=True),
        Enum("checkin_schedule", required=True, values=SCHEDULES),
    ),
    row_rules=(
        RowRule(
            "discharge_date",
            pa.Check(
                lambda df: (
                    df["discharge_date"].isna()
                    | df["admission_date"].isna()
                    | (df["discharge_date"] >= df["admission_date"])
                ),
                element_wise=False,
            ),
            lambda row: "discharge_date is before admission_date",
        ),
    ),
    target=Target(
        table=DimClient.__table__,
        natural_key="client_id",
        surrogate_key="client_key",
        columns=(
            "program_key",
            "counselor_key",
            "sex",
            "birth_year",
            "zip3",
            "admission_date",
            "discharge_date",
            "primary_substance",
            "checkin_schedule",
        ),
        satellite=PiiClient.__table__,
        satellite_columns=("first_name", "last_name", "date_of_birth", "zip", "phone", "email"),
        pii=frozenset({"first_name", "last_name", "date_of_birth", "zip", "phone", "email"}),
        touch=("client_key", "admission_date"),
    ),
    build=build,
)

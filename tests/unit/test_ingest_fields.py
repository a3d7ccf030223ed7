"""Pure parts of the ingest: casts, kind detection, time zones, hashes, ZIP3 generalisation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from etl.ingest.detect import detect_kind, normalize
from etl.ingest.errors import FileRejected
from etl.ingest.fields import Date, Enum, Float, Int, Timestamp, TokenList, YesNo
from etl.ingest.hashing import row_hashes
from etl.ingest.kinds.clients import zip3
from etl.ingest.resolve import to_utc


def _text(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_int_cast_reads_whole_numbers_and_flags_text() -> None:
    cast = Int("craving", lo=0, hi=10).cast(_text(" 3", "4.0", "", "x", "2.5"))
    assert cast.columns["craving"].tolist() == [3, 4, pd.NA, pd.NA, pd.NA]
    assert cast.bad.tolist() == [False, False, False, True, True]
    assert cast.message("x") == "craving 'x' is not a whole number"


def test_float_cast_and_range_message() -> None:
    f = Float("sleep_hours", lo=0, hi=24)
    cast = f.cast(_text("7.5", ".5", "1e1", "nan", ""))
    assert cast.columns["sleep_hours"].tolist()[:3] == [7.5, 0.5, 10.0]
    assert cast.bad.tolist() == [False, False, False, True, False]
    assert f.checks()[0].message(25.0) == "sleep_hours 25 out of range 0-24"


def test_enum_yes_no_and_token_lists_normalise_case() -> None:
    result = Enum("result", values=("positive", "negative")).cast(
        _text("POSITIVE", " negative", "odd")
    )
    assert result.columns["result"].tolist()[:2] == ["positive", "negative"]
    assert result.bad.tolist() == [False, False, True]
    yn = YesNo("used").cast(_text("Yes", "n", "", "TRUE", "0", "perhaps"))
    assert yn.columns["used"].tolist()[:5] == [True, False, pd.NA, True, False]
    assert yn.bad.tolist() == [False] * 5 + [True]
    tl = TokenList("triggers", vocabulary=("people", "music")).cast(
        _text("Music; people;music", "", "people;cats")
    )
    assert tl.columns["triggers"].iloc[0] == "music;people"
    assert pd.isna(tl.columns["triggers"].iloc[1])
    assert tl.bad.tolist() == [False, False, True]
    assert tl.message("people;cats") == "triggers 'cats' is not one of people, music"


def test_dates_and_timestamps() -> None:
    d = Date("admission_date").cast(_text("2026-02-28", "2026-02-30", "02/03/2026", ""))
    assert d.bad.tolist() == [False, True, True, False]
    ts = Timestamp("submitted_at").cast(
        _text(
            "2026-11-01T08:30:00",
            "2026-11-01 08:30",
            "2026-11-01T13:30:00Z",
            "2026-11-01T08:30:00-05:00",
            "2026-11-01",
            "noon",
            "2026-11-01T25:00:00",
        )
    )
    values = ts.columns["submitted_at"]
    assert values.iloc[0] == pd.Timestamp("2026-11-01 08:30")
    assert values.iloc[2] == values.iloc[3] == pd.Timestamp("2026-11-01 13:30")
    assert values.iloc[4] == pd.Timestamp("2026-11-01")
    assert ts.columns["submitted_at__utc"].tolist() == [
        False,
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    assert ts.bad.tolist() == [False] * 5 + [True, True]


def test_naive_times_follow_daylight_saving_in_the_program_zone() -> None:
    stamps = pd.Series(
        pd.to_datetime(
            [
                "2026-07-01 23:30",
                "2026-11-01 01:30",
                "2026-03-08 02:30",
                "2026-07-02 03:30",
            ]
        )
    )
    aware = pd.Series([False, False, False, True])
    zones = pd.Series(["America/New_York"] * 3 + ["America/Denver"])
    utc, local = to_utc(stamps, aware, zones)
    assert utc.tolist() == [
        pd.Timestamp("2026-07-02 03:30"),  # EDT, the next UTC day
        pd.Timestamp("2026-11-01 05:30"),  # the repeated hour: first (daylight) reading
        pd.Timestamp("2026-03-08 07:00"),  # inside the skipped hour: moved to 03:00 EDT
        pd.Timestamp("2026-07-02 03:30"),  # already UTC
    ]
    assert [d.date() for d in local] == [
        dt.date(2026, 7, 1),
        dt.date(2026, 11, 1),
        dt.date(2026, 3, 8),
        dt.date(2026, 7, 1),
    ]


def test_detect_kind_from_header() -> None:
    assert detect_kind(["screen_id", "client_id", "collected_at", "substance", "result"]).name == (
        "drug_screens"
    )
    assert (
        detect_kind(
            [
                "client_id",
                "program_id",
                "counselor_id",
                "first_name",
                "last_name",
                "admission_date",
                "checkin_schedule",
            ]
        ).name
        == "clients"
    )
    with pytest.raises(FileRejected, match="missing required column 'submitted_at'"):
        detect_kind(["checkin_id", "client_id", "craving"])
    with pytest.raises(FileRejected, match="cannot tell the kind"):
        detect_kind(["client_id"])
    assert normalize("\ufeff Check-In ID ") == "check_in_id"


def test_row_hash_is_stable_across_dtypes_and_sensitive_to_content() -> None:
    a = pd.DataFrame(
        {
            "id": pd.Series(["K1", "K2"], dtype="str"),
            "n": pd.array([3, None], dtype="Int64"),
            "t": pd.to_datetime(["2026-01-01", None]),
        }
    )
    b = pd.DataFrame(
        {
            "id": pd.Series(["K1", "K2"], dtype=object),
            "n": pd.Series([3.0, np.nan]),
            "t": pd.to_datetime(["2026-01-01", None]).astype("datetime64[ns]"),
        }
    )
    ha, hb = row_hashes(a, ["id", "n", "t"]), row_hashes(b, ["id", "n", "t"])
    assert ha.tolist() == hb.tolist()
    assert all(len(h) == 16 for h in ha)
    c = a.assign(n=pd.array([4, None], dtype="Int64"))
    assert row_hashes(c, ["id", "n", "t"]).tolist()[0] != ha.iloc[0]
    assert row_hashes(c, ["id", "n", "t"]).tolist()[1] == ha.iloc[1]


def test_zip3_generalises_small_areas() -> None:
    assert zip3(pd.Series(["02139", "89012", "03601", None], dtype="str")).tolist()[:3] == [
        "021",
        "000",
        "000",
    ]

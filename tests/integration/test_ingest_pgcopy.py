"""The binary COPY stream ingest builds reads back exactly as the same rows sent as CSV."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pyarrow.csv as pacsv
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from etl.ingest import pgcopy
from etl.ingest.convert import arrow_table

TABLE = Table(
    "copy_probe",
    MetaData(),
    Column("a", BigInteger),
    Column("b", Integer),
    Column("c", SmallInteger),
    Column("d", Float),
    Column("e", Boolean),
    Column("f", Date),
    Column("g", DateTime),
    Column("h", String(10)),
    Column("i", Text),
)
DDL = (
    "CREATE TEMPORARY TABLE copy_probe (a bigint, b integer, c smallint, d float, e boolean, "
    "f date, g timestamp, h varchar(10), i text)"
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": pd.array([1, None, 2**40, -5], dtype="Int64"),
            "b": pd.array([None, 7, -(2**31), 2**31 - 1], dtype="Int64"),
            "c": pd.array([3, -32768, None, 32767], dtype="Int64"),
            "d": pd.array([1.5, None, -0.25, 1e300], dtype="Float64"),
            "e": pd.array([True, False, None, True], dtype="boolean"),
            "f": pd.to_datetime(["2026-01-02", None, "1999-12-31", "2000-01-01"]),
            "g": pd.to_datetime(
                ["2026-01-02 03:04:05.123456", "1970-01-01 00:00:00", None, "1999-12-31 23:59:59"],
                format="ISO8601",
            ),
            "h": pd.Series(["x", None, "", "éü"], dtype="str"),
            "i": pd.Series([None, 'commas, quotes " and\na newline', "b", "ç"], dtype="str"),
        }
    )


def _copied(raw, data: bytes, form: str) -> list[tuple]:
    raw.execute("TRUNCATE copy_probe")
    with raw.cursor() as cur, cur.copy(f"COPY copy_probe FROM STDIN (FORMAT {form})") as copy:
        copy.write(data)
    return raw.execute("SELECT * FROM copy_probe ORDER BY a NULLS FIRST, b").fetchall()


def test_binary_copy_reads_back_as_csv_copy_does(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's COPY format")
    columns = arrow_table(_frame(), TABLE)
    assert pgcopy.encodable(TABLE, list(columns.column_names))
    text = io.BytesIO()
    pacsv.write_csv(columns, text, pacsv.WriteOptions(include_header=False))
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute(DDL)
        binary = _copied(raw, pgcopy.encode(TABLE, columns), "binary")
        csv = _copied(raw, text.getvalue(), "csv")
        conn.rollback()
    assert binary == csv
    assert binary[0] == (
        None,
        7,
        -32768,
        None,
        False,
        None,
        dt.datetime(1970, 1, 1),
        None,
        csv[0][8],
    )
    assert binary[0][8] == 'commas, quotes " and\na newline'
    assert binary[3] == (2**40, -(2**31), None, -0.25, None, dt.date(1999, 12, 31), None, "", "b")


def test_a_value_outside_its_column_type_is_refused() -> None:
    frame = _frame().assign(c=pd.array([3, 40_000, None, 1], dtype="Int64"))
    with pytest.raises(ValueError, match="out of range for SMALLINT"):
        pgcopy.encode(TABLE, arrow_table(frame, TABLE))

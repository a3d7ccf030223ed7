"""JSON columns read back exactly what was written, through orjson and its fallback."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, text

from etl.db import json_loads

DOC = {"text": 'Craving 8/10 · é\n"quoted"', "points": [12.5, 0.1, -3], "big": 2**70, "n": None}


def test_json_loads_reads_what_orjson_refuses() -> None:
    assert json_loads(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
    assert json_loads(memoryview(b'{"big": 1180591620717411303424}')) == {"big": 2**70}
    assert math.isnan(json_loads("[NaN]")[0])


def test_a_json_column_round_trips_on_each_backend(engine) -> None:
    table = Table(
        "t_json_round_trip",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("doc", JSON),
    )
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table), [{"id": 1, "doc": DOC}, {"id": 2, "doc": [DOC, "x"]}])
        with engine.connect() as conn:
            docs = conn.execute(select(table.c.doc).order_by(table.c.id)).scalars().all()
        assert docs == [DOC, [DOC, "x"]]
        assert engine.dialect._json_deserializer is json_loads
    finally:
        table.drop(engine)


def test_sqlite_json_written_with_nan_still_reads(engine, backend) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL's json type refuses NaN on the way in")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t_json_nan (doc JSON)"))
        conn.execute(text("INSERT INTO t_json_nan VALUES ('{\"v\": NaN}')"))
    table = Table("t_json_nan", MetaData(), Column("doc", JSON))
    with engine.connect() as conn:
        assert math.isnan(conn.execute(select(table.c.doc)).scalar()["v"])

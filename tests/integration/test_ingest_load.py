"""A full roster and its facts load into the right tables, split and converted as specified."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from factories import url_of
from ingest_support import ALL, copy_fixtures, count, loads
from sqlalchemy import select

from etl.cli import main
from etl.ingest import ingest_paths
from etl.models import (
    DimClient,
    DimDate,
    DimProgram,
    DimStaff,
    FctCheckin,
    FctDrugScreen,
    PiiCheckinNote,
    PiiClient,
)


def test_loads_every_kind_in_dependency_order(engine, tmp_path) -> None:
    files = copy_fixtures(tmp_path)
    report = ingest_paths(engine, list(reversed(files)))  # facts first on the command line

    assert [f.kind for f in report.files] == [
        "programs",
        "staff",
        "clients",
        "checkins",
        "drug_screens",
    ]
    assert [(f.read, f.inserted, f.rejected, f.status) for f in report.files] == [
        (2, 2, 0, "loaded"),
        (3, 3, 0, "loaded"),
        (3, 3, 0, "loaded"),
        (4, 4, 0, "loaded"),
        (2, 2, 0, "loaded"),
    ]
    assert report.ok
    assert count(engine, DimProgram) == 2 and count(engine, DimStaff) == 3

    with engine.connect() as conn:
        k = {r.checkin_id: r for r in conn.execute(select(FctCheckin))}
        clients = {r.client_id: r for r in conn.execute(select(DimClient))}
        pii = {r.client_key: r for r in conn.execute(select(PiiClient))}
        notes = {r.checkin_key: r.note for r in conn.execute(select(PiiCheckinNote))}
        screens = {r.screen_id: r for r in conn.execute(select(FctDrugScreen))}
        dates = conn.execute(select(DimDate).order_by(DimDate.date)).all()

    # Naive times are New York wall clock (EST after Nov 1); local_date is the program's day.
    assert k["K001"].submitted_at == dt.datetime(2026, 11, 1, 13, 30)
    assert k["K002"].submitted_at == dt.datetime(2026, 11, 3, 4, 30)
    assert k["K002"].local_date == dt.date(2026, 11, 2)
    assert k["K003"].submitted_at == dt.datetime(2026, 11, 2, 14, 0)  # explicit -05:00
    # C003 is in Denver: 22:15 MST is 05:15 UTC the next day, still Nov 3 locally.
    assert k["K004"].submitted_at == dt.datetime(2026, 11, 4, 5, 15)
    assert k["K004"].local_date == dt.date(2026, 11, 3)
    assert (k["K002"].trigger_people, k["K002"].trigger_places, k["K002"].trigger_music) == (
        True,
        True,
        False,
    )
    assert k["K002"].triggers == "people;places"
    assert k["K003"].used_since_last is None and k["K004"].used_since_last is True
    assert k["K001"].sleep_hours == 7.5 and k["K001"].craving == 3
    # Notes live apart; a blank note is no row.
    assert notes == {
        k["K001"].checkin_key: "slept fine",
        k["K004"].checkin_key: "argued with brother",
    }

    c1, c3 = clients["C001"], clients["C003"]
    assert (c1.birth_year, c1.zip3, c1.sex, c1.checkin_schedule) == (1988, "021", "female", "daily")
    assert c3.zip3 == "000"  # 890xx is a restricted three-digit ZIP area
    assert c3.discharge_date == dt.date(2026, 11, 20)
    assert not hasattr(c1, "first_name")
    assert pii[c1.client_key].first_name == "Alex"
    assert pii[c1.client_key].date_of_birth == dt.date(1988, 4, 12)
    assert pii[c1.client_key].zip == "02139"
    assert pii[clients["C002"].client_key].email is None

    assert screens["D002"].result == "positive" and screens["D002"].substance == "cocaine"
    assert screens["D002"].collected_at == dt.datetime(2026, 11, 4, 10, 0)
    assert screens["D002"].local_date == dt.date(2026, 11, 4)  # 03:00 in Denver

    assert dates[0].date == dt.date(2026, 9, 1) and dates[-1].date == dt.date(2026, 11, 20)
    assert len(dates) == (dates[-1].date - dates[0].date).days + 1
    labor_day = next(d for d in dates if d.date == dt.date(2026, 9, 7))
    assert labor_day.is_holiday and labor_day.date_key == 20260907 and labor_day.day_of_week == 0

    recorded = loads(engine)
    assert [r.status for r in recorded] == ["loaded"] * 5
    assert all(r.sha256 and len(r.sha256) == 64 for r in recorded)
    assert recorded[3].rows_read == 4 and recorded[3].rows_inserted == 4
    assert recorded[3].finished_at >= recorded[3].started_at

    # What changed, for the derived facts: each client from its admission date.
    assert report.changes.client_dates == {
        c1.client_key: dt.date(2026, 9, 1),
        clients["C002"].client_key: dt.date(2026, 9, 15),
        c3.client_key: dt.date(2026, 10, 1),
    }


def test_cli_prints_json_with_balanced_counts(engine, tmp_path) -> None:
    files = copy_fixtures(tmp_path)
    url = url_of(engine)
    result = CliRunner().invoke(main, ["ingest", *map(str, files), "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ok"] is True
    assert [f["kind"] for f in payload["files"]] == [
        "programs",
        "staff",
        "clients",
        "checkins",
        "drug_screens",
    ]
    for f in payload["files"]:
        assert set(f) >= {"path", "kind", "read", "inserted", "updated", "unchanged", "rejected"}
        assert f["read"] == f["inserted"] + f["updated"] + f["unchanged"] + f["rejected"]
    assert payload["files"][3]["path"].endswith("checkins.csv")


def test_cli_table_and_directory_argument(engine, tmp_path) -> None:
    copy_fixtures(tmp_path / "drop", ALL)
    url = url_of(engine)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "drop"), "--database-url", url])
    assert result.exit_code == 0, result.output
    for kind in ("programs", "staff", "clients", "checkins", "drug_screens"):
        assert kind in result.stdout
    assert count(engine, FctCheckin) == 4


def test_bulk_mode_restores_indexes_and_keys(engine, tmp_path, monkeypatch) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from etl.models import Base

    monkeypatch.setenv("CASELOAD_INGEST_BULK_ROWS", "1")
    report = ingest_paths(engine, copy_fixtures(tmp_path))
    assert [f.inserted for f in report.files] == [2, 3, 3, 4, 2]
    indexes = {i["name"] for i in inspect(engine).get_indexes("fct_checkin")}
    assert "ix_fct_checkin_client_date" in indexes
    fks = {f["name"] for f in inspect(engine).get_foreign_keys("fct_checkin")}
    assert fks == {"fk_fct_checkin_client_key_dim_client", "fk_fct_checkin_load_id_etl_load"}
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_bulk_first_load_corrects_a_row_sent_again_in_a_later_chunk(
    engine, tmp_path, monkeypatch
) -> None:
    """On PostgreSQL a first load sets the keys aside; a row that corrects an earlier one of the
    same file needs them to be found, and is: the keys come back, the history is kept."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from ingest_support import ROSTER, checkins
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateTable

    from etl.models import Base, EtlRecordHistory

    monkeypatch.setenv("CASELOAD_INGEST_BULK_ROWS", "1")
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    lines = (copy_fixtures(tmp_path / "f", ("checkins.csv",))[0]).read_text().splitlines()[1:]
    again = lines[0].replace(",3,4,6,", ",9,4,6,")  # K001 again, craving 3 -> 9
    report = ingest_paths(engine, [checkins(tmp_path / "c.csv", *lines, again)], chunk_rows=2)

    [f] = report.files
    assert (f.status, f.read, f.inserted, f.updated) == ("loaded", 5, 4, 1)
    with engine.connect() as conn:
        craving = conn.execute(
            select(FctCheckin.craving).where(FctCheckin.checkin_id == "K001")
        ).scalar_one()
        history = conn.execute(
            select(EtlRecordHistory.natural_id, EtlRecordHistory.changes).where(
                EtlRecordHistory.table_name == "fct_checkin"
            )
        ).all()
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert craving == 9
    assert history == [("K001", {"craving": {"old": 3, "new": 9}})]
    assert inspect(engine).get_pk_constraint("fct_checkin")["name"] == "pk_fct_checkin"
    assert diff == []
    # The keys set aside stay in this process's metadata: a database created from it next (the
    # next test's, a restore) still gets them.
    for table in ("fct_checkin", "pii_checkin_note"):
        ddl = str(CreateTable(Base.metadata.tables[table]).compile(dialect=engine.dialect))
        assert f"CONSTRAINT pk_{table} PRIMARY KEY" in ddl, table


CALLS: list = []


def record_hook(engine, changes) -> None:
    CALLS.append((engine.dialect.name, dict(changes.client_dates)))


def test_post_load_hooks_receive_the_changes(engine, tmp_path, monkeypatch) -> None:
    from etl.ingest import hooks

    CALLS.clear()
    monkeypatch.setattr(hooks, "POST_LOAD", [f"{__name__}:record_hook"])
    url = url_of(engine)
    files = copy_fixtures(tmp_path)
    result = CliRunner().invoke(main, ["ingest", *map(str, files), "--database-url", url])
    assert result.exit_code == 0, result.output
    [(dialect, touched)] = CALLS
    assert dialect == engine.dialect.name
    assert sorted(touched.values()) == [
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 15),
        dt.date(2026, 10, 1),
    ]
    # Nothing changed on a second run: the hook is not called at all.
    CliRunner().invoke(main, ["ingest", *map(str, files), "--database-url", url])
    assert len(CALLS) == 1


def test_no_refresh_skips_the_post_load_steps(engine, tmp_path, monkeypatch) -> None:
    from etl.ingest import hooks

    CALLS.clear()
    monkeypatch.setattr(hooks, "POST_LOAD", [f"{__name__}:record_hook"])
    url = url_of(engine)
    files = copy_fixtures(tmp_path)
    args = ["ingest", *map(str, files), "--no-refresh", "--database-url", url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert CALLS == []


def test_bulk_mode_leaves_sqlite_enforcing_keys_and_checks_them(engine, tmp_path, monkeypatch):
    from etl.ingest import bulk

    monkeypatch.setenv("CASELOAD_INGEST_BULK_ROWS", "1")
    ingest_paths(engine, copy_fixtures(tmp_path))
    if engine.dialect.name != "sqlite":
        return
    for _ in range(3):  # every pooled connection enforces foreign keys again
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql(
            "INSERT INTO fct_checkin (checkin_id, client_key, submitted_at, local_date, "
            "trigger_people, trigger_places, trigger_music, trigger_routines, trigger_emotions, "
            "trigger_other, row_hash, updated_at) VALUES ('X', 999, '2026-01-01 00:00:00', "
            "'2026-01-01', 0, 0, 0, 0, 0, 0, 'h', '2026-01-01 00:00:00')"
        )
        aside = bulk.SetAside(checked=[FctCheckin.__table__])
        with pytest.raises(bulk.BrokenReference, match="1 rows of fct_checkin"):
            bulk.restore(conn, aside)
        conn.rollback()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")

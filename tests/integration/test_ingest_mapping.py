"""Files in another shape load through a mapping; row errors name the source column and value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from ingest_support import ROSTER, copy_fixtures, quarantine, write
from sqlalchemy import select

from etl.cli import main
from etl.ingest import ingest_paths
from etl.ingest.mapping import load_mapping
from etl.models import DimClient, FctBam, FctCheckin, PiiClient

REPO = Path(__file__).resolve().parents[2]
REDCAP = REPO.parent.parent / "shared" / "data" / "external" / "redcapr" / "simple" / "data.csv"
if not REDCAP.exists():  # the checkout may live elsewhere than the shared data
    REDCAP = Path("/work/shared/data/external/redcapr/simple/data.csv")

APP_MAP = """
kind = "checkins"

[columns]
checkin_id = "Response ID"
client_id = "Patient"
submitted_at = { from = "When", date_format = "%m/%d/%Y %H:%M" }
stress = "Stress"
sleep_hours = { from = "Slept (min)", unit = "minutes -> hours" }
used_since_last = { from = "Used?", values = { "No" = "no", "Yes" = "yes", "" = "no" } }

[columns.craving]
from = "How strong was your craving?"
values = { "Not at all" = 0, "A little" = 3, "Somewhat" = 5, "Extremely" = 10 }

[constants]
coping = "breathing"
"""
APP_HEADER = "Response ID,Patient,When,How strong was your craving?,Stress,Slept (min),Used?"


def _roster(engine, tmp_path: Path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ROSTER))


def _app(engine, tmp_path: Path, *rows: str, mapping: str = APP_MAP):
    _roster(engine, tmp_path)
    mapping_path = write(tmp_path / "app.toml", mapping)
    data = write(tmp_path / "app.csv", "\n".join([APP_HEADER, *rows]) + "\n")
    return ingest_paths(engine, [data], mapping=load_mapping(mapping_path))


def _checkins(engine) -> dict[str, FctCheckin]:
    with engine.connect() as conn:
        return {r.checkin_id: r for r in conn.execute(select(FctCheckin))}


def test_every_rule_reaches_the_warehouse(engine, tmp_path) -> None:
    report = _app(
        engine,
        tmp_path,
        "R1,C001,11/01/2026 08:30,Not at all,3,450,No",
        "R2,C001,11/02/2026 21:15,extremely ,4,390,",
        "R3,C002,11/02/2026 09:00,Somewhat,5,,Yes",
    )
    [f] = report.files
    assert (f.kind, f.read, f.inserted, f.rejected) == ("checkins", 3, 3, 0)
    got = _checkins(engine)
    assert [got[k].craving for k in ("R1", "R2", "R3")] == [0, 10, 5]  # value map, any case
    assert [got[k].sleep_hours for k in ("R1", "R2", "R3")] == [7.5, 6.5, None]  # minutes
    assert [got[k].used_since_last for k in ("R1", "R2", "R3")] == [False, False, True]
    assert {r.coping for r in got.values()} == {"breathing"}  # constant
    # Date format, then the program's time zone (New York, EST after Nov 1).
    assert got["R1"].submitted_at == dt.datetime(2026, 11, 1, 13, 30)
    assert got["R2"].local_date == dt.date(2026, 11, 2)


def test_row_errors_name_the_source_column_and_value(engine, tmp_path) -> None:
    report = _app(
        engine,
        tmp_path,
        "R1,C001,11/01/2026 08:30,Not at all,3,450,No",
        "R2,C001,11/02/2026 08:30,Quite a bit,3,450,No",  # not in the value map
        "R3,C001,11/02/2026 08:30,A little,3,1500,No",  # 25 h after conversion
        "R4,C001,11/02/2026 08:30,A little,3,lots,No",  # not a number to convert
        "R5,C001,2026-11-02 08:30,A little,3,450,No",  # another date format
        "R6,C999,11/02/2026 08:30,A little,3,450,No",  # unknown client
        "R7,C001,11/02/2026 08:30,A little,12,450,No",  # out of range, unconverted column
        'R8,C001,11/03/2026 08:30,A little,3,"1,500",No',  # thousands or a decimal comma?
    )
    [f] = report.files
    assert (f.read, f.inserted, f.rejected) == (8, 1, 7)
    got = [(q.line, q.column_name, q.value, q.reason) for q in quarantine(engine)]
    assert got == [
        (
            3,
            "How strong was your craving?",
            "Quite a bit",
            "How strong was your craving? 'Quite a bit' is not in the value map for craving",
        ),
        (4, "Slept (min)", "1500", "Slept (min) '1500': sleep_hours 25 out of range 0-24"),
        (
            5,
            "Slept (min)",
            "lots",
            "Slept (min) 'lots' is not a number (converting minutes to hours for sleep_hours)",
        ),
        (
            6,
            "When",
            "2026-11-02 08:30",
            "When '2026-11-02 08:30' does not match the date format '%m/%d/%Y %H:%M' for "
            "submitted_at",
        ),
        (
            7,
            "Patient",
            "C999",
            "Patient 'C999': unknown client_id 'C999' (not in the roster: load clients.csv, "
            "then caseload ingest --retry-quarantine)",
        ),
        (8, "Stress", "12", "Stress '12': stress 12 out of range 0-10"),
        (
            9,
            "Slept (min)",
            "1,500",
            "Slept (min) '1,500' is not a number (converting minutes to hours for sleep_hours)",
        ),
    ]


def test_a_missing_source_column_rejects_the_file(engine, tmp_path) -> None:
    _roster(engine, tmp_path)
    mapping = load_mapping(write(tmp_path / "app.toml", APP_MAP))
    data = write(tmp_path / "app.csv", "Response ID,Patient,When\nR1,C001,11/01/2026 08:30\n")
    [f] = ingest_paths(engine, [data], mapping=mapping).files
    assert (f.status, f.error) == (
        "failed",
        "source column 'Stress' named in app.toml is not in the header",
    )


def test_split_and_the_redcap_worked_mapping(engine, tmp_path) -> None:
    """The shipped REDCap mapping against REDCapR's real 'simple' project export."""
    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ("programs.csv", "staff.csv")))
    mapping = load_mapping(REPO / "docs" / "mappings" / "redcap-demographics-clients.toml")
    [f] = ingest_paths(engine, [REDCAP], mapping=mapping).files
    assert (f.kind, f.read, f.inserted, f.rejected, f.status) == ("clients", 5, 5, 0, "loaded")
    assert "unknown column 'address' ignored" in f.warnings
    with engine.connect() as conn:
        rows = conn.execute(
            select(DimClient.client_id, DimClient.sex, DimClient.birth_year, PiiClient.last_name)
            .join(PiiClient, PiiClient.client_key == DimClient.client_key)
            .order_by(DimClient.client_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("1", "female", 2003, "Nutmouse"),
        ("2", "male", 2003, "Nutmouse"),
        ("3", "male", 1934, "Wood"),
        ("4", "female", 1952, "DAG"),
        ("5", "male", 1955, "Walker"),
    ]

    # A split: "Last, First" in one column into two fields (a roster from another app).
    split_map = write(
        tmp_path / "split.yaml",
        "kind: clients\ncolumns:\n  client_id: id\nconstants:\n  program_id: P1\n"
        "  admission_date: '2026-10-01'\n  checkin_schedule: daily\n"
        "split:\n  - {from: Name, separator: ',', into: [last_name, first_name]}\n",
    )
    data = write(tmp_path / "names.csv", 'id,Name\nN1,"Rivera, Sam"\nN2,Solo\n')
    [f] = ingest_paths(engine, [data], mapping=load_mapping(split_map)).files
    assert (f.read, f.inserted, f.rejected) == (2, 1, 1)
    with engine.connect() as conn:
        first, last = conn.execute(
            select(PiiClient.first_name, PiiClient.last_name)
            .join(DimClient, DimClient.client_key == PiiClient.client_key)
            .where(DimClient.client_id == "N1")
        ).one()
    assert (first, last) == ("Sam", "Rivera")
    [entry] = [q for q in quarantine(engine) if q.kind == "clients"]
    # A name is an identifier: the source value is withheld from the message.
    assert (entry.line, entry.column_name, entry.value, entry.reason) == (
        3,
        "Name",
        None,
        "Name: first_name is missing",
    )


def test_cli_refuses_a_bad_mapping_before_reading_rows(engine, tmp_path, database_url) -> None:
    bad = write(tmp_path / "bad.toml", 'kind = "bam"\n[columns]\nresponse_id = "r"\n')
    data = write(tmp_path / "bam.csv", "r\nX1\n")
    result = CliRunner().invoke(
        main,
        ["ingest", "--mapping", str(bad), str(data), "--database-url", database_url],
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {bad}: required field 'client_id' of kind bam is not mapped"
    )


def test_a_bam_export_with_its_own_item_names(engine, tmp_path) -> None:
    """A weekly BAM exported with question labels and word answers, mapped to the contract."""
    _roster(engine, tmp_path)
    scale = '{ "Not at all" = 0, "1-3 days" = 1, "4-8 days" = 2, "9-15 days" = 3, "16+ days" = 4 }'
    lines = ["kind = 'bam'", "[columns]", "response_id = 'id'", "client_id = 'who'"]
    lines += ["completed_at = { from = 'date', date_format = '%d.%m.%Y' }"]
    items = [f"item_{i}" for i in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16)]
    lines += [f"{item} = {{ from = 'q{item[5:]}', values = {scale} }}" for item in items]
    lines += ["[constants]", "recall_days = 7"]
    mapping = load_mapping(write(tmp_path / "bam.toml", "\n".join(lines) + "\n"))
    header = "id,who,date," + ",".join(f"q{i[5:]}" for i in items)
    answers = ["16+ days", "Not at all", "4-8 days", "1-3 days", "Not at all", "Not at all"]
    answers += ["9-15 days", "16+ days", "16+ days", "4-8 days", "16+ days", "9-15 days"]
    answers += ["16+ days", "1-3 days", "4-8 days"]
    data = write(tmp_path / "bam.csv", f"{header}\nW1,C001,03.11.2026,{','.join(answers)}\n")
    [f] = ingest_paths(engine, [data], mapping=mapping).files
    assert (f.kind, f.inserted, f.rejected) == ("bam", 1, 0)
    with engine.connect() as conn:
        form = conn.execute(select(FctBam)).one()
    # Use 1+0+0; Risk 4+0+2+3+2+1 (items 1, 2, 3, 8, 11, 15); Protective 4+4+4+3+4+2.
    assert (form.recall_days, form.use_score, form.risk_score, form.protective_score) == (
        7,
        1,
        12,
        21,
    )
    assert (form.is_use_flagged, form.is_risk_flagged, form.is_protective_flagged) == (
        True,
        True,
        False,
    )
    assert form.local_date == dt.date(2026, 11, 3)


def test_a_mapped_row_waits_for_the_roster_and_loads_on_retry(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ("programs.csv", "staff.csv")))
    mapping = load_mapping(write(tmp_path / "app.toml", APP_MAP))
    data = write(
        tmp_path / "app.csv", APP_HEADER + "\nR1,C001,11/01/2026 08:30,Extremely,3,450,No\n"
    )
    [f] = ingest_paths(engine, [data], mapping=mapping).files
    assert (f.read, f.rejected) == (1, 1)
    [entry] = quarantine(engine)
    assert (entry.column_name, entry.value) == ("Patient", "C001")
    # The quarantine keeps the contract text and the source values it came from.
    assert entry.raw["craving"] == "10" and entry.raw["source:how_strong_was_your_craving?"] == (
        "Extremely"
    )
    clients = copy_fixtures(tmp_path / "later", ("clients.csv",))
    report = ingest_paths(engine, clients, retry_quarantine=True)
    retried = report.files[-1]
    assert (retried.kind, retried.read, retried.inserted, retried.rejected) == (
        "checkins",
        1,
        1,
        0,
    )
    got = _checkins(engine)["R1"]
    assert (got.craving, got.sleep_hours, got.coping) == (10, 7.5, "breathing")
    assert [q.status for q in quarantine(engine)] == ["loaded"]


def test_identifiers_are_never_echoed_from_a_source_that_feeds_one(engine, tmp_path) -> None:
    """One source column feeds an identifier and another field: its values stay unshown."""
    ingest_paths(engine, copy_fixtures(tmp_path / "roster", ("programs.csv", "staff.csv")))
    mapping = load_mapping(
        write(
            tmp_path / "roster.toml",
            'kind = "clients"\n[columns]\nclient_id = "id"\nfirst_name = "Given"\n'
            'last_name = "Family"\nadmission_date = { from = "Intake", date_format = "%m/%d/%Y" }\n'
            'zip = "Zip"\nprimary_substance = { from = "Zip", values = { "02139" = "cocaine" } }\n'
            '[constants]\nprogram_id = "P1"\ncheckin_schedule = "daily"\n',
        )
    )
    data = write(
        tmp_path / "roster.csv",
        "id,Given,Family,Intake,Zip\nN1,Sam,Rivera,10/01/2026,02139\nN2,Ana,Diaz,10/02/2026,99999\n"
        "N3,Lee,Park,2026-10-03,02139\n",
    )
    [f] = ingest_paths(engine, [data], mapping=mapping).files
    assert (f.read, f.inserted, f.rejected) == (3, 1, 2)
    got = [(q.line, q.column_name, q.value, q.reason) for q in quarantine(engine)]
    assert got == [
        (3, "Zip", None, "Zip is not in the value map for primary_substance"),
        (
            4,
            "Intake",
            "2026-10-03",
            "Intake '2026-10-03' does not match the date format '%m/%d/%Y' for admission_date",
        ),
    ]

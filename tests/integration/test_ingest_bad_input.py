"""Bad input never crashes and never loses a row: files fail alone, rows go to quarantine."""

from __future__ import annotations

import gzip

import pytest
from click.testing import CliRunner
from factories import url_of
from ingest_support import (
    CHECKIN_HEADER,
    FIXTURES,
    ROSTER,
    checkins,
    copy_fixtures,
    count,
    loads,
    quarantine,
    write,
)
from sqlalchemy import select

from etl.cli import main
from etl.ingest import ingest_paths
from etl.models import DimClient, DimProgram, FctCheckin, PiiCheckinNote

# --------------------------------------------------------------------------- whole files


def _binary(path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


def _latin1(path):
    return write(path, "program_id,name,time_zone\nP9,Caf\xe9 Clinic,America/Chicago\n", "latin-1")


def _utf16(path):
    return write(path, "program_id,name,time_zone\nP9,Clinic,America/Chicago\n", "utf-16")


def _corrupt_gzip(path):
    data = gzip.compress((FIXTURES / "programs.csv").read_bytes() * 50)
    path.write_bytes(data[: len(data) // 2])
    return path


FILE_CASES = [
    ("binary.csv", _binary, "is not a CSV text file (binary content)"),
    (
        "odd.csv",
        lambda p: write(p, "alpha,beta,gamma\n1,2,3\n"),
        "cannot tell the kind of file from its header (expected the columns of one of programs, "
        "staff, clients, checkins, drug_screens, bam)",
    ),
    (
        "nocol.csv",
        lambda p: write(p, "checkin_id,submitted_at,craving\nK1,2026-11-01T08:00,3\n"),
        "missing required column 'client_id' for kind checkins",
    ),
    ("latin.csv", _latin1, "is not UTF-8 text (save it as UTF-8 CSV)"),
    ("wide.csv", _utf16, "is UTF-16 text; save it as UTF-8 CSV"),
    ("empty.csv", lambda p: write(p, ""), "is empty (no header row)"),
    (
        "book.xlsx",
        lambda p: write(p, "PK\x03\x04"),
        "unsupported file type '.xlsx' (expected .csv, .csv.gz, FHIR .json, .ndjson or .ndjson.gz)",
    ),
    ("gone.csv", lambda p: p, "no such file"),
    ("cut.csv.gz", _corrupt_gzip, "is not a valid gzip file (truncated or corrupt)"),
    (
        "twice.csv",
        lambda p: write(p, "program_id,name,Name,time_zone\nP9,a,b,UTC\n"),
        "column 'name' appears twice in the header",
    ),
]


@pytest.mark.parametrize(("name", "make", "message"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_unreadable_file_fails_alone_with_one_line(engine, tmp_path, name, make, message) -> None:
    bad = make(tmp_path / name)
    good = copy_fixtures(tmp_path / "ok", ("programs.csv",))[0]
    url = url_of(engine)

    result = CliRunner().invoke(main, ["ingest", str(bad), str(good), "--database-url", url])

    assert result.exit_code == 1
    assert f"{bad}: {message}" in result.stderr.splitlines()
    assert "Traceback" not in result.output
    assert count(engine, DimProgram) == 2  # the good file still loaded
    failed = [r for r in loads(engine) if r.status == "failed"]
    assert [(r.path, r.error, r.rows_read) for r in failed] == [(str(bad), message, 0)]


def test_failure_mid_file_rolls_the_whole_file_back(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    rows = [f"K{i},C001,2026-11-01T08:00:00,1,1,1,7,3,no,,yes,," for i in range(3000)]
    text = (CHECKIN_HEADER + "\n" + "\n".join(rows) + "\n").encode()
    (tmp_path / "late_bad.csv").write_bytes(
        text + b"K9,C001,2026-11-01T08:00:00,1,1,1,7,3,no,,yes,,caf\xe9\n"
    )
    report = ingest_paths(engine, [tmp_path / "late_bad.csv"], chunk_rows=500)
    assert report.files[0].status == "failed"
    assert report.files[0].error == "is not UTF-8 text (save it as UTF-8 CSV)"
    assert count(engine, FctCheckin) == 0


# --------------------------------------------------------------------------- rejected rows

GOOD = "K100,C001,2026-11-05T08:00:00,3,4,6,7.5,4,no,,yes,,"


def _row(**changes: str) -> str:
    values = dict(zip(CHECKIN_HEADER.split(","), GOOD.split(","), strict=True))
    values.update(changes)
    return ",".join(values.values())


ROW_CASES = [
    ({"craving": "14"}, "craving", "14", "craving 14 out of range 0-10"),
    ({"craving": "abc"}, "craving", "abc", "craving 'abc' is not a whole number"),
    (
        {"submitted_at": "yesterday"},
        "submitted_at",
        "yesterday",
        "submitted_at 'yesterday' is not an ISO 8601 timestamp",
    ),
    (
        {"submitted_at": "2026-02-30T08:00:00"},
        "submitted_at",
        "2026-02-30T08:00:00",
        "submitted_at '2026-02-30T08:00:00' is not an ISO 8601 timestamp",
    ),
    ({"submitted_at": ""}, "submitted_at", None, "submitted_at is missing"),
    ({"client_id": ""}, "client_id", None, "client_id is missing"),
    (
        {"client_id": "C999"},
        "client_id",
        "C999",
        "unknown client_id 'C999' (not in the roster: load clients.csv, then caseload ingest "
        "--retry-quarantine)",
    ),
    ({"sleep_hours": "25"}, "sleep_hours", "25", "sleep_hours 25 out of range 0-24"),
    ({"sleep_hours": "lots"}, "sleep_hours", "lots", "sleep_hours 'lots' is not a number"),
    ({"sleep_quality": "0"}, "sleep_quality", "0", "sleep_quality 0 out of range 1-5"),
    (
        {"used_since_last": "maybe"},
        "used_since_last",
        "maybe",
        "used_since_last 'maybe' is not yes or no",
    ),
    (
        {"triggers": "people;boredom"},
        "triggers",
        "people;boredom",
        "triggers 'boredom' is not one of people, places, music, routines, emotions, other",
    ),
    ({"checkin_id": "K 1"}, "checkin_id", "K 1", "checkin_id 'K 1' contains spaces"),
    (
        {"craving": "11", "mood": "-1"},
        "craving",
        "11",
        "craving 11 out of range 0-10; mood -1 out of range 0-10",
    ),
]


@pytest.mark.parametrize(
    ("changes", "column", "value", "reason"), ROW_CASES, ids=[c[3][:40] for c in ROW_CASES]
)
def test_bad_checkin_row_is_quarantined_with_reason(
    engine, tmp_path, changes, column, value, reason
) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    path = checkins(tmp_path / "in.csv", GOOD.replace("K100", "K099"), _row(**changes), GOOD)
    f = ingest_paths(engine, [path]).files[0]
    assert (f.read, f.inserted, f.rejected, f.status) == (3, 2, 1, "loaded")
    [q] = quarantine(engine)
    assert (q.path, q.kind, q.line, q.column_name, q.value, q.reason, q.status) == (
        str(path),
        "checkins",
        3,
        column,
        value,
        reason,
        "open",
    )
    assert q.raw["checkin_id"] == _row(**changes).split(",")[0]
    assert q.raw["craving"] == _row(**changes).split(",")[3]
    assert f.read == f.inserted + f.updated + f.unchanged + f.rejected


ROSTER_CASES = [
    (
        "programs.csv",
        "P1,Riverside Outpatient,America/New_York",
        "P9,Moon Base,Mars/Olympus",
        "time_zone",
        "Mars/Olympus",
        "time_zone 'Mars/Olympus' is not an IANA time zone name",
    ),
    (
        "staff.csv",
        "S1,P1,Dana,Reyes,dana.reyes@riverside.example,counselor",
        "S9,P1,Pat,Doe,pat@x.example,boss",
        "role",
        "boss",
        "role 'boss' is not one of counselor, supervisor, admin",
    ),
    (
        "staff.csv",
        "S1,P1,Dana,Reyes,dana.reyes@riverside.example,counselor",
        "S9,P7,Pat,Doe,pat@x.example,counselor",
        "program_id",
        "P7",
        "unknown program_id 'P7' (not in programs: load programs.csv, then caseload ingest "
        "--retry-quarantine)",
    ),
    (
        "clients.csv",
        "C001,P1,S1,Alex,Morgan,1988-04-12,female,02139,617-555-0101,,2026-09-01,,cocaine,daily",
        "C009,P1,S99,Sam,Lee,1990-01-01,male,02139,617-555-0102,,2026-09-01,,cocaine,daily",
        "counselor_id",
        "S99",
        "unknown counselor_id 'S99' (not in staff: load staff.csv, then caseload ingest "
        "--retry-quarantine)",
    ),
    (
        "clients.csv",
        "C001,P1,S1,Alex,Morgan,1988-04-12,female,02139,617-555-0101,,2026-09-01,,cocaine,daily",
        "C009,P1,S1,Sam,Lee,1990-01-01,male,02139,617-555-0102,,2026-09-01,"
        "2026-08-01,cocaine,daily",
        "discharge_date",
        None,
        "discharge_date is before admission_date",
    ),
    # Identifiers are never echoed: the reason and the quarantine's value column stay blank.
    (
        "clients.csv",
        "C001,P1,S1,Alex,Morgan,1988-04-12,female,02139,617-555-0101,,2026-09-01,,cocaine,daily",
        "C009,P1,S1,Sam,Lee,01/02/1990,male,2139,call me,,2026-09-01,,cocaine,fortnightly",
        "date_of_birth",
        None,
        "date_of_birth is not an ISO 8601 date (YYYY-MM-DD); zip is not a US ZIP code; "
        "phone is not a phone number; checkin_schedule 'fortnightly' is not one of daily, "
        "weekdays, weekly",
    ),
]


@pytest.mark.parametrize(
    ("name", "good", "bad", "column", "value", "reason"),
    ROSTER_CASES,
    ids=[c[5][:40] for c in ROSTER_CASES],
)
def test_bad_roster_row_is_quarantined(
    engine, tmp_path, name, good, bad, column, value, reason
) -> None:
    order = ["programs.csv", "staff.csv", "clients.csv"]
    ingest_paths(engine, copy_fixtures(tmp_path, order[: order.index(name)]))
    header = (FIXTURES / name).read_text().splitlines()[0]
    path = write(tmp_path / "x" / name, f"{header}\n{good}\n{bad}\n")
    f = ingest_paths(engine, [path]).files[0]
    assert (f.read, f.inserted, f.rejected) == (2, 1, 1)
    [q] = quarantine(engine)
    assert (q.line, q.column_name, q.value, q.reason) == (3, column, value, reason)
    assert "Sam" not in q.reason and "Lee" not in q.reason


def test_malformed_rows_and_true_line_numbers(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    text = "\n".join(
        [
            CHECKIN_HEADER,
            'K1,C001,2026-11-05T08:00:00,3,4,6,7.5,4,no,,yes,,"a note\nover two lines"',
            "K2,C001,2026-11-05T09:00:00,3,4,6,7.5,4,no,,yes,,,surplus",
            "",
            "K3,C001,2026-11-05T10:00:00,3,4,6,7.5,4,no,,yes",
            "K4,C001,2026-11-05T11:00:00,99,4,6,7.5,4,no,,yes,,",
        ]
    )
    path = write(tmp_path / "ragged.csv", text + "\n")
    f = ingest_paths(engine, [path]).files[0]
    assert (f.read, f.inserted, f.rejected) == (4, 1, 3)
    assert [(q.line, q.reason) for q in quarantine(engine)] == [
        (4, "line 4 has 14 fields, the header has 13"),
        (6, "line 6 has 11 fields, the header has 13"),
        (7, "craving 99 out of range 0-10"),
    ]
    with engine.connect() as conn:
        assert conn.execute(select(PiiCheckinNote.note)).scalar_one() == "a note\nover two lines"


def test_line_numbers_survive_multiline_notes_on_the_fast_path(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    path = checkins(
        tmp_path / "notes.csv",
        'K1,C001,2026-11-05T08:00:00,3,4,6,7.5,4,no,,yes,,"one\r\ntwo\nthree"',
        "",
        "K2,C001,2026-11-05T09:00:00,3,4,6,7.5,4,no,,yes,,",
        "K3,C001,2026-11-05T10:00:00,3,4,6,7.5,4,no,,sometimes,,",
    )
    f = ingest_paths(engine, [path]).files[0]
    assert (f.read, f.inserted, f.rejected) == (3, 2, 1)
    [q] = quarantine(engine)
    assert (q.line, q.reason) == (7, "support_contact 'sometimes' is not yes or no")


def test_bom_crlf_any_order_any_case_unknown_columns_and_gzip(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    header = "Client_ID,SUBMITTED_AT, Craving ,CheckIn_ID,Favourite_Colour,Stress,Triggers"
    rows = [
        "C001,2026-11-05T08:00:00,3,K1,blue,4,People; MUSIC",
        "C002,2026-11-05T09:00:00Z,,K2,red,,",
    ]
    raw = ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()
    (tmp_path / "odd.csv.gz").write_bytes(gzip.compress(raw))
    report = ingest_paths(engine, [tmp_path / "odd.csv.gz"])
    f = report.files[0]
    assert (f.kind, f.read, f.inserted, f.rejected) == ("checkins", 2, 2, 0)
    assert f.warnings == ["unknown column 'favourite_colour' ignored"]
    assert f.balanced
    with engine.connect() as conn:
        got = {r.checkin_id: r for r in conn.execute(select(FctCheckin))}
    assert got["K1"].triggers == "people;music" and got["K1"].trigger_music
    assert got["K1"].craving == 3 and got["K2"].craving is None and got["K2"].mood is None


def test_warning_and_summary_lines_on_the_command_line(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ROSTER))
    path = write(tmp_path / "k.csv", CHECKIN_HEADER + ",extra\n" + _row(craving="12") + ",x\n")
    url = url_of(engine)
    result = CliRunner().invoke(main, ["ingest", str(path), "--database-url", url])
    assert result.exit_code == 0
    assert f"{path}: warning: unknown column 'extra' ignored" in result.stderr
    assert f"{path}: 1 rows rejected to the quarantine" in result.stderr


def test_pii_never_reaches_messages(engine, tmp_path) -> None:
    ingest_paths(engine, copy_fixtures(tmp_path, ("programs.csv", "staff.csv")))
    header = (FIXTURES / "clients.csv").read_text().splitlines()[0]
    path = write(
        tmp_path / "clients.csv",
        f"{header}\nC1,P1,S1,Zelda,Quixote,1890-05-05,female,02139,617-555-0101,zq@x,"
        "2026-09-01,,cocaine,daily\n",
    )
    f = ingest_paths(engine, [path]).files[0]
    assert f.rejected == 1 and count(engine, DimClient) == 0
    [q] = quarantine(engine)
    assert q.reason == "date_of_birth is before 1900-01-01; email is not an e-mail address"
    assert q.value is None
    for secret in ("Zelda", "Quixote", "1890", "zq@x", "555"):
        assert secret not in q.reason

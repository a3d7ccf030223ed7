"""De-identified record exports: every Safe Harbor item absent, k re-measured independently."""

from __future__ import annotations

import hashlib
import os
import re
import stat

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import url_of
from openpyxl import load_workbook
from sqlalchemy import select

from etl.cli import main
from etl.export.records import Query
from etl.export.run import export_records
from etl.export.safe_harbor import CHECKLIST
from etl.models import AppAuditLog, ExportPseudonym
from tests.integration.export_world import GROUPS, PLANTED, seed

QIS = ["age_band", "sex", "zip3", "program", "admission_year"]


@pytest.fixture
def world(engine):
    return seed(engine)


def _xlsx_text(path) -> tuple[str, dict[str, list[list]]]:
    wb = load_workbook(path, read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    text = "\n".join(
        "\t".join("" if v is None else str(v) for v in row)
        for rows in sheets.values()
        for row in rows
    )
    return text, sheets


def _all_outputs(engine, tmp_path) -> dict[str, str]:
    """Every file of every format, as text: CSV, its notice, and each XLSX sheet's cells."""
    out = {}
    for grain in ("day", "week"):
        csv_path = tmp_path / f"{grain}.csv"
        export_records(engine, csv_path, fmt="csv", query=Query(grain=grain))
        out[f"{grain}.csv"] = csv_path.read_text()
        out[f"{grain}.csv.notice"] = (tmp_path / f"{grain}.csv.notice.txt").read_text()
        xlsx_path = tmp_path / f"{grain}.xlsx"
        export_records(engine, xlsx_path, fmt="xlsx", query=Query(grain=grain))
        out[f"{grain}.xlsx"] = _xlsx_text(xlsx_path)[0]
    return out


def test_checklist_names_all_eighteen_and_each_is_planted():
    assert [i.code for i in CHECKLIST] == list("ABCDEFGHIJKLMNOPQR")
    assert set(PLANTED) == {i.code for i in CHECKLIST}


PSEUDONYM = re.compile(r"\bP[0-9a-f]{12}\b")


def test_every_planted_identifier_is_absent_from_every_format(engine, world, tmp_path):
    # Random hex pseudonyms may hold "4455" or "1931" by chance (a few runs in a hundred):
    # they are checked for randomness elsewhere, and taken out of the text searched here.
    outputs = {n: PSEUDONYM.sub("P-", t) for n, t in _all_outputs(engine, tmp_path).items()}
    assert all(len(t) > 1000 for name, t in outputs.items() if not name.endswith("notice"))
    found = {
        (item, token, name)
        for item, tokens in PLANTED.items()
        for token in tokens
        for name, text in outputs.items()
        if token.lower() in text.lower()
    }
    assert found == set()
    for name, text in outputs.items():  # no date of any kind, in any format
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b", text), name


def test_ages_and_zip3_are_generalised(engine, world, tmp_path):
    path = tmp_path / "r.csv"
    export_records(engine, path)
    df = pd.read_csv(path, dtype=str)
    bands = set(df["age_band"])
    assert bands <= {"18-24", "35-44", "45-54", "55-64", "90+", "35-54", "55+"}
    assert "90+" in bands  # the group born 1931 (age 95) is one band
    zips = set(df["zip3"])
    assert "036" not in zips and "890" not in zips and "000" in zips  # both restricted
    assert zips <= {"123", "456", "000", "*"}
    assert not {"pseudonym", "program", "period"} - set(df.columns)
    assert not {"client_id", "date", "admission_date", "birth_year", "zip"} & set(df.columns)


def test_k_and_l_remeasured_independently_over_the_file(engine, world, tmp_path):
    path = tmp_path / "r.csv"
    result = export_records(engine, path, k=5, l_div=2)
    df = pd.read_csv(path, dtype={"zip3": str, "admission_year": str})
    person = df.groupby("pseudonym").agg(
        **{c: (c, "first") for c in QIS}, used=("used", "max"), pos=("screen_positive", "max")
    )
    assert (df.groupby("pseudonym")[QIS].nunique() == 1).all().all()  # one QI set per person
    sizes = person.fillna("blank").groupby(QIS).size()
    person["sensitive"] = person["used"] | person["pos"]
    diversity = person.fillna("blank").groupby(QIS)["sensitive"].nunique()
    assert sizes.min() >= 5 and diversity.min() >= 2
    total = sum(g[3] for g in GROUPS) + 5 + 2
    s = result.summary
    assert len(person) == total - 2 == s["people"]
    assert s["suppressed"] == 2 and s["generalised"] == 5
    assert s["k_reached"] == sizes.min() and s["l_reached"] == diversity.min()
    assert (person["zip3"] == "*").sum() == 5


def test_higher_k_generalises_more(engine, world, tmp_path):
    path = tmp_path / "r.csv"
    result = export_records(engine, path, k=11)
    df = pd.read_csv(path, dtype=str).drop_duplicates("pseudonym")
    assert df.groupby(QIS).size().min() >= 11
    assert result.summary["k_reached"] >= 11


def test_pseudonyms_are_random_and_stable_only_when_asked(engine, world, tmp_path):
    a, b, c, d = (tmp_path / f"{n}.csv" for n in "abcd")
    export_records(engine, a)
    export_records(engine, b)
    export_records(engine, c, stable=True)
    export_records(engine, d, stable=True)
    ids = [set(pd.read_csv(p)["pseudonym"]) for p in (a, b, c, d)]
    assert ids[0].isdisjoint(ids[1])
    assert ids[2] == ids[3] and ids[2].isdisjoint(ids[0])
    with engine.connect() as conn:
        linked = set(conn.execute(select(ExportPseudonym.pseudonym)).scalars())
    assert ids[2] <= linked and not any("MRN" in p for p in linked)  # "7788" can be random hex


def test_owner_only_never_over_a_planted_link_and_audited(engine, world, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "r.csv"
    os.symlink(victim, out)
    os.symlink(victim, tmp_path / "r.csv.notice.txt")
    result = export_records(engine, out, query=Query(program_id="PRG-A", grain="week"))
    assert victim.read_text() == "keep me"
    for p in (out, tmp_path / "r.csv.notice.txt"):
        st = os.lstat(p)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    with engine.connect() as conn:
        row = conn.execute(
            select(AppAuditLog.__table__).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()
    assert row.action == "export" and row.category == "deidentified_records"
    assert row.detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert row.detail["rows"] == result.summary["rows"] == len(pd.read_csv(out))
    assert row.detail["k_reached"] >= 5 and row.detail["grain"] == "week"
    assert len(row.client_keys) == result.summary["people"]
    notice = (tmp_path / "r.csv.notice.txt").read_text()
    assert "42 CFR part 2" in notice and "Safe Harbor" in notice
    assert out.read_text().splitlines()[0].startswith("pseudonym,program,age_band")


def test_xlsx_has_notice_and_column_sheets(engine, world, tmp_path):
    path = tmp_path / "r.xlsx"
    result = export_records(engine, path, fmt="xlsx", query=Query(grain="week"))
    _, sheets = _xlsx_text(path)
    assert set(sheets) == {"notice", "columns", "data"}
    assert "42 CFR part 2" in sheets["notice"][1][0]
    assert [r[0] for r in sheets["columns"][1:]] == sheets["data"][0]
    assert len(sheets["data"]) - 1 == result.summary["rows"]


def test_cli_export(engine, world, tmp_path):
    url = url_of(engine)
    out = tmp_path / "cli.xlsx"
    args = [
        "export",
        "--anonymized",
        "--format",
        "xlsx",
        "--out",
        str(out),
        "--grain",
        "week",
        "--from",
        "2026-03-20",
        "--to",
        "2026-04-10",
        "--database-url",
        url,
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "k reached" in res.output and "written" in res.output
    assert out.exists()
    refused = CliRunner().invoke(
        main, ["export", "--out", str(tmp_path / "x.csv"), "--database-url", url]
    )
    assert refused.exit_code == 2 and "--anonymized" in refused.output

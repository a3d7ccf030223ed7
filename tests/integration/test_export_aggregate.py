"""The aggregate report: outcome figures by program, counselor and month, small cells
suppressed with their complements, planted identifiers absent from CSV, XLSX and PDF."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import url_of
from pypdf import PdfReader
from sqlalchemy import select

from dashboard.read import outcomes
from etl.cli import main
from etl.export.aggregate import ALL, SUPPRESSED
from etl.export.run import export_aggregate, program_keys
from etl.models import AppAuditLog
from tests.integration.export_world import ADMITTED, AS_OF, PLANTED, SMALL_CASELOAD, seed
from tests.integration.test_export_deidentified import _xlsx_text

SCREENSHOTS = Path(
    os.environ.get("CASELOAD_SCREENSHOTS", Path(__file__).parents[1] / "screenshots")
)
STAFF = ("S-THISTLE", "S-QUILLFEATHER", "Quillfeather", "Thistlewood", "Ophelia")


@pytest.fixture
def world(engine):
    return seed(engine, small_counselor=True)


def _export(engine, path, fmt="csv", **kw):
    return export_aggregate(
        engine,
        path,
        fmt=fmt,
        program_keys=program_keys(engine, "PRG-A"),
        start=ADMITTED,
        end=AS_OF,
        **kw,
    )


def _pdf_text(path) -> tuple[int, str]:
    reader = PdfReader(path)
    return len(reader.pages), "\n".join(p.extract_text() or "" for p in reader.pages)


def test_small_cells_and_their_complements_are_suppressed(engine, world, tmp_path):
    result = _export(engine, tmp_path / "a.csv")
    df = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False)
    assert list(df["period"].unique()) == ["2026-03", "2026-04"]
    assert df["period_start"].iloc[0] == "2026-03-01"  # never the first admission's date
    whole = df[df["counselor"] == ALL].set_index("period")
    staff = df[df["counselor"] != ALL]
    assert set(staff["counselor"]) == {"Counselor 01", "Counselor 02"}
    assert whole.loc["2026-04", "census_end"] == str(47 + SMALL_CASELOAD)
    assert whole.loc["2026-03", "admissions"] == str(47 + SMALL_CASELOAD)
    # Each counselor's census is hidden: the small one (6) itself, the other as its complement
    # (the program's 53 minus it would give 6 back).
    assert (staff["census_end"] == SUPPRESSED).all()
    march = staff[staff["period"] == "2026-03"]
    assert (march["admissions"] == SUPPRESSED).all()
    assert (march["discharges"] == SUPPRESSED).all()  # 0, but with admissions hidden beside it
    # Rates: the small caseload's rest on 6 clients, the other's on 47.
    small = staff[staff["adherence"] == SUPPRESSED]
    assert len(small) == 2 and (small["abstinence"] == SUPPRESSED).all()
    big = staff[staff["adherence"] != SUPPRESSED]
    assert big["adherence"].astype(float).between(0.5, 1).all()
    # The published program figure is the outcomes read layer's own.
    with engine.connect() as conn:
        key = program_keys(engine, "PRG-A")[0]
        april = outcomes.program_outcomes(conn, key, pd.Timestamp("2026-04-01").date(), AS_OF)
    assert float(whole.loc["2026-04", "adherence"]) == pytest.approx(
        april["adherence"]["rate"], abs=1e-4
    )
    s = result.summary
    assert s["cells_suppressed"] == int((df == SUPPRESSED).sum().sum())
    assert s["suppressed_primary"] > 0 and s["suppressed_complementary"] > 0
    assert s["k_reached"] >= 11


def test_planted_identifiers_absent_from_every_aggregate_format(engine, world, tmp_path):
    texts = {}
    for fmt in ("csv", "xlsx", "pdf"):
        path = tmp_path / f"a.{fmt}"
        _export(engine, path, fmt=fmt)
        if fmt == "csv":
            texts["csv"] = path.read_text()
            texts["notice"] = (tmp_path / "a.csv.notice.txt").read_text()
        elif fmt == "xlsx":
            texts["xlsx"], sheets = _xlsx_text(path)
            assert set(sheets) == {"notice", "columns", "data"}
            assert [r[0] for r in sheets["columns"][1:]] == sheets["data"][0]
        else:
            pages, texts["pdf"] = _pdf_text(path)
    found = {
        (token, name)
        for tokens in (*PLANTED.values(), STAFF)
        for token in tokens
        for name, text in texts.items()
        if token.lower() in text.lower()
    }
    assert found == set()
    boundaries = {"2026-03-01", "2026-03-31", "2026-04-01", AS_OF.isoformat()}
    for name, text in texts.items():  # the only dates are the calendar's period boundaries
        assert set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)) <= boundaries, name
    assert "42 CFR part 2" in texts["pdf"] and "42 CFR part 2" in texts["xlsx"]


def test_pdf_renders_with_notice_first_and_a_page_image(engine, world, tmp_path):
    path = tmp_path / "report.pdf"
    result = _export(engine, path, fmt="pdf")
    reader = PdfReader(path)
    first = reader.pages[0].extract_text()
    assert "42 CFR part 2" in first and "Safe Harbor" in first
    assert f"{result.summary['cells_suppressed']} suppressed" in first.replace("\n", " ")
    assert "Smallest" in first
    assert len(reader.pages) >= 3
    rest = "\n".join(p.extract_text() for p in reader.pages[1:])
    assert "Program PRG-A" in rest and "Counselor 01" in rest and "2026-04" in rest
    import pypdfium2

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    doc = pypdfium2.PdfDocument(str(path))
    for n in (0, 1):
        image = doc[n].render(scale=1.5).to_pil()
        out = SCREENSHOTS / f"export_aggregate_pdf_page{n + 1}_{engine.dialect.name}.png"
        image.save(out)
        assert image.size[0] > 800 and out.stat().st_size > 20_000
        # Not a blank page: a good share of pixels carry ink.
        grey = image.convert("L")
        dark = sum(grey.histogram()[:200])
        assert dark > 0.01 * grey.size[0] * grey.size[1]
    doc.close()


def test_pdf_owner_only_never_over_a_planted_link_and_audited(engine, world, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "r.pdf"
    os.symlink(victim, out)
    result = _export(engine, out, fmt="pdf")
    assert victim.read_text() == "keep me"
    st = os.lstat(out)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert out.read_bytes().startswith(b"%PDF")
    with engine.connect() as conn:
        row = conn.execute(
            select(AppAuditLog.__table__).order_by(AppAuditLog.event_id.desc()).limit(1)
        ).one()
    assert row.action == "export" and row.category == "deidentified_aggregate"
    assert row.detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert row.detail["cells_suppressed"] == result.summary["cells_suppressed"]


def test_counselor_labels_are_drawn_anew_for_each_export(engine, world, tmp_path):
    seen = set()
    for n in range(8):
        _export(engine, tmp_path / f"{n}.csv")
        df = pd.read_csv(tmp_path / f"{n}.csv", dtype=str, keep_default_na=False)
        staff = df[(df["counselor"] != ALL) & (df["period"] == "2026-03")]
        small = staff[staff["adherence"] == SUPPRESSED]["counselor"].iloc[0]
        seen.add(small)
    assert seen == {"Counselor 01", "Counselor 02"}  # 8 draws: both labels, 1 in 128 to fail


def test_cli_aggregate_week_pdf(engine, world, tmp_path):
    url = url_of(engine)
    out = tmp_path / "cli.pdf"
    args = [
        "export",
        "--anonymized",
        "--level",
        "aggregate",
        "--format",
        "pdf",
        "--grain",
        "week",
        "--out",
        str(out),
        "--program",
        "PRG-A",
        "--database-url",
        url,
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "suppressed" in res.output and "figure sets" in res.output
    assert "2026-W14" in _pdf_text(out)[1]
    bad = CliRunner().invoke(main, [*args[:-4], "--grain", "day", "--database-url", url])
    assert bad.exit_code == 2 and "--grain" in bad.output
    unknown = CliRunner().invoke(
        main,
        [
            "export",
            "--anonymized",
            "--level",
            "aggregate",
            "--out",
            str(tmp_path / "x.csv"),
            "--program",
            "NOPE",
            "--database-url",
            url,
        ],
    )
    assert unknown.exit_code == 1 and "no program" in unknown.output

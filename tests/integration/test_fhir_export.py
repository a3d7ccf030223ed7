"""``caseload fhir export`` and ``caseload fhir questionnaire``: the contract, both directions.

The round trip is the contract's test: the synthetic program's CSV files into one warehouse,
that warehouse out as Bulk NDJSON, the NDJSON into a fresh warehouse: the same facts.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import url_of
from sqlalchemy import Engine, select

from etl.cli import main
from etl.db import make_engine
from etl.fhir.export import FILES, export_fhir
from etl.ingest import ingest_paths
from etl.ingest.kinds import BY_NAME
from etl.models import (
    AppAuditLog,
    Base,
    DimClient,
    DimProgram,
    DimStaff,
    FctCheckin,
    FctDrugScreen,
    PiiCheckinNote,
    PiiClient,
)


@pytest.fixture
def fresh(backend: str, fresh_database) -> Iterator[Engine]:
    """A second, empty warehouse on the same backend."""
    eng = make_engine(fresh_database(backend))
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    result = CliRunner().invoke(
        main,
        [
            "synth",
            "--out",
            str(out),
            "--clients",
            "25",
            "--days",
            "40",
            "--seed",
            "11",
            "--as-of",
            "2026-11-27",
            "--no-truth",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def facts(engine: Engine) -> dict[str, list]:
    """Every loaded value by natural id (surrogate keys and load bookkeeping left out)."""
    checkin_cols = [
        col.name
        for col in FctCheckin.__table__.columns
        if col.name not in ("checkin_key", "client_key", "load_id", "updated_at")
    ]
    screen_cols = [
        col.name
        for col in FctDrugScreen.__table__.columns
        if col.name not in ("screen_key", "client_key", "load_id", "updated_at")
    ]
    client_cols = [
        col.name
        for col in DimClient.__table__.columns
        if col.name not in ("client_key", "program_key", "counselor_key", "load_id", "updated_at")
    ]
    pii_cols = [col.name for col in PiiClient.__table__.columns if col.name != "client_key"]
    with engine.connect() as conn:
        return {
            "clients": [
                tuple(r)
                for r in conn.execute(
                    select(
                        *(DimClient.__table__.c[c] for c in client_cols),
                        DimProgram.program_id,
                        DimStaff.staff_id,
                        *(PiiClient.__table__.c[c] for c in pii_cols),
                    )
                    .join(DimProgram, DimProgram.program_key == DimClient.program_key)
                    .outerjoin(DimStaff, DimStaff.staff_key == DimClient.counselor_key)
                    .join(PiiClient, PiiClient.client_key == DimClient.client_key)
                    .order_by(DimClient.client_id)
                )
            ],
            "checkins": [
                tuple(r)
                for r in conn.execute(
                    select(
                        *(FctCheckin.__table__.c[c] for c in checkin_cols),
                        DimClient.client_id,
                        PiiCheckinNote.note,
                    )
                    .join(DimClient, DimClient.client_key == FctCheckin.client_key)
                    .outerjoin(PiiCheckinNote, PiiCheckinNote.checkin_key == FctCheckin.checkin_key)
                    .order_by(FctCheckin.checkin_id)
                )
            ],
            "screens": [
                tuple(r)
                for r in conn.execute(
                    select(
                        *(FctDrugScreen.__table__.c[c] for c in screen_cols), DimClient.client_id
                    )
                    .join(DimClient, DimClient.client_key == FctDrugScreen.client_key)
                    .order_by(FctDrugScreen.screen_id)
                )
            ],
        }


def test_csv_to_warehouse_to_ndjson_to_a_fresh_warehouse_gives_the_same_facts(
    engine, fresh, program, tmp_path
) -> None:
    csvs = sorted(program.glob("*.csv"))
    assert ingest_paths(engine, csvs).ok
    before = facts(engine)
    assert len(before["clients"]) == 25 and len(before["checkins"]) > 500
    assert any(r[-1] for r in before["checkins"])  # notes travel too
    out = tmp_path / "bulk"
    counts = export_fhir(engine, out)
    assert counts == {
        "roster.ndjson": 2 * len(before["clients"]),
        "QuestionnaireResponse.ndjson": len(before["checkins"]),
        "Observation.ndjson": len(before["screens"]),
    }
    dims = [program / "programs.csv", program / "staff.csv"]
    report = ingest_paths(fresh, [*dims, *sorted(out.glob("*.ndjson"))])
    assert report.ok
    assert all(f.rejected == 0 and f.skipped == 0 and f.balanced for f in report.files)
    assert facts(fresh) == before


def test_export_is_owner_only_and_audited(engine, program, tmp_path) -> None:
    assert ingest_paths(engine, sorted(program.glob("*.csv"))).ok
    out = tmp_path / "bulk"
    url = url_of(engine)
    result = CliRunner().invoke(main, ["fhir", "export", "--out", str(out), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no partial file left
    for name in FILES:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    with engine.connect() as conn:
        (event,) = conn.execute(
            select(
                AppAuditLog.action,
                AppAuditLog.route,
                AppAuditLog.category,
                AppAuditLog.client_keys,
                AppAuditLog.detail,
            ).where(AppAuditLog.route == "caseload fhir export")
        ).all()
        keys = sorted(conn.execute(select(DimClient.client_key)).scalars())
    assert (event.action, event.category) == ("export", "fhir_bulk")
    assert event.client_keys == keys
    assert event.detail["identified"] is True
    first = json.loads((out / "roster.ndjson").read_text().splitlines()[0])
    assert first["resourceType"] == "Patient" and first["identifier"][0]["value"]


def test_published_questionnaires_are_valid_r4_and_follow_the_contract() -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    runner = CliRunner()
    daily = runner.invoke(main, ["fhir", "questionnaire", "daily-checkin"])
    assert daily.exit_code == 0, daily.output
    q = Questionnaire.model_validate(json.loads(daily.stdout))
    assert q.url == "https://caseload.dev/fhir/Questionnaire/daily-checkin"
    columns = [
        c
        for c in BY_NAME["checkins"].columns
        if c not in ("checkin_id", "client_id", "submitted_at")
    ]
    assert [i.linkId for i in q.item] == columns
    assert {i.linkId: i.type for i in q.item}["sleep_hours"] == "decimal"

    bam = runner.invoke(main, ["fhir", "questionnaire", "bam"])
    assert bam.exit_code == 0, bam.output
    b = Questionnaire.model_validate(json.loads(bam.stdout))
    links = [i.linkId for i in b.item]
    assert links[0] == "recall_days"
    assert links[1:] == [
        *(f"item_{n}" for n in range(1, 7)),
        *(f"item_7{x}" for x in "abcdefg"),
        *(f"item_{n}" for n in range(8, 18)),
    ]
    unknown = runner.invoke(main, ["fhir", "questionnaire", "phq-9"])
    assert unknown.exit_code == 2 and "phq-9" in unknown.output

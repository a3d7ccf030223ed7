"""Who gets /reports: supervisors and analysts their own program, admins any, counselors
nothing (no page, no navigation entry, no callback).

Every callback is POSTed as the renderer would, then forged. A download goes through
``etl.export.run`` and leaves exactly one ``export`` audit row carrying the SHA-256 of the
bytes the browser received.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile

import pytest
from dash_client import (
    outcomes_pickers_payload,
    post_callback,
    reports_download_payload,
    reports_level_payload,
    reports_pickers_payload,
    reports_preview_payload,
    signed_in,
)
from factories import add_user
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from test_kit import _last, _nav, _route

from etl.models import AppAuditLog, AppUser, DimClient, DimStaff, PiiClient

PAYLOADS = {
    "pickers": reports_pickers_payload,
    "level": reports_level_payload,
    "preview": lambda deps: reports_preview_payload(deps, "P-EAST"),
    "download": lambda deps: reports_download_payload(deps, "P-EAST"),
}


@pytest.fixture
def analyst(seeded) -> str:
    with seeded.engine.connect() as conn:
        known = conn.execute(select(AppUser.user_id).where(AppUser.username == "quinn")).first()
    if known is None:
        add_user(seeded.engine, "quinn", "analyst", program_id="P-EAST")
    return "quinn"


def _count(seeded, action: str | None = None) -> int:
    stmt = select(func.count()).select_from(AppAuditLog)
    if action:
        stmt = stmt.where(AppAuditLog.action == action)
    with seeded.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _identifiers(seeded) -> list[str]:
    with seeded.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(DimClient.client_id))]
        names = [r[0] for r in conn.execute(select(PiiClient.last_name)) if r[0]]
        staff = [r[0] for r in conn.execute(select(DimStaff.staff_id))]
        staff += [r[0] for r in conn.execute(select(DimStaff.last_name))]
    return ids + names + staff


def _headers(component, tag: str = "Th") -> list[str]:
    """The preview table's column headers (or, with ``Td``, its cells) as the page shows them."""
    if isinstance(component, list):
        return [h for c in component for h in _headers(c, tag)]
    if not isinstance(component, dict):
        return []
    props = component.get("props", {})
    if component.get("type") == tag:
        return [props["children"]]
    return _headers(props.get("children"), tag)


def _response(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_counselor_gets_no_callback(app, seeded, name):
    client, deps = signed_in(app, "ana")
    before, exports = _count(seeded), _count(seeded, "export")
    response = post_callback(client, PAYLOADS[name](deps))
    assert response.status_code == 204 and response.get_data() == b""
    assert _count(seeded) == before + 1 and _count(seeded, "export") == exports
    row = _last(seeded)
    assert (row.action, row.username) == ("denied", "ana")
    assert row.detail["reason"] == "missing export_anonymized"


def test_counselor_gets_no_page_and_no_nav_link(app, seeded):
    client, deps = signed_in(app, "ana")
    missing = _route(client, deps, "/no-such-page")
    before = _count(seeded)
    page = _route(client, deps, "/reports")
    assert page == missing and "reports-preview-btn" not in page
    assert _count(seeded) == before + 1
    assert _last(seeded).detail == {"reason": "missing export_anonymized", "page": "/reports"}
    assert "Reports" not in _nav(client)


def test_supervisor_previews_own_program_aggregate(app, seeded):
    client, deps = signed_in(app, "carla")
    assert "reports-preview-btn" in _route(client, deps, "/reports")
    pickers = _response(post_callback(client, reports_pickers_payload(deps)))
    assert [o["value"] for o in pickers["reports-program"]["options"]] == ["P-EAST"]
    assert pickers["reports-period"]["start_date"] == "2026-09-01"  # where its data begins
    exports = _count(seeded, "export")
    response = post_callback(client, reports_preview_payload(deps, "P-EAST"))
    out = _response(response)
    body = json.dumps(out)
    assert "Cells suppressed" in body and "Smallest published cell" in body
    assert "First 9 of 9 rows" in body  # (the program + its 2 counselors) x Sep, Oct, Nov
    headers = _headers(out["reports-preview"]["children"])
    assert headers[:3] == ["Program", "Counselor", "Period"]
    assert "Census (last day)" in headers and "Retained 30 days" in headers
    assert not {"census_end", "retention_30"} & set(headers)  # the file's names: tooltips only
    cells = _headers(out["reports-preview"]["children"], "Td")
    by_column = {h: cells[i :: len(headers)] for i, h in enumerate(headers)}
    adherence = by_column["Check-in adherence"]
    assert all(re.fullmatch(r"\d{1,3}%|\*|—", v) for v in adherence), adherence
    assert any(v.endswith("%") for v in adherence)  # shares read as percentages, not 0.88
    assert all(v.isdigit() or v in ("*", "—") for v in by_column["Census (last day)"])
    for identifier in _identifiers(seeded):
        assert identifier not in body
    assert _count(seeded, "export") == exports  # a preview releases nothing
    row = _last(seeded)
    assert (row.action, row.category, row.username) == (
        "view",
        "deidentified_aggregate_preview",
        "carla",
    )


def _download(client, deps, program, **values) -> tuple[dict, bytes]:
    out = _response(post_callback(client, reports_download_payload(deps, program, **values)))
    data = out["reports-download"]["data"]
    assert data["base64"] is True
    return out, base64.b64decode(data["content"])


def test_supervisor_downloads_a_pdf_audited_once_with_its_sha256(app, seeded):
    client, deps = signed_in(app, "carla")
    exports = _count(seeded, "export")
    out, content = _download(client, deps, "P-EAST")
    assert content.startswith(b"%PDF")
    assert out["reports-download"]["data"]["filename"] == (
        "caseload-aggregate-P-EAST-20260901-20261127.pdf"
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "42 CFR part 2" in text and "Program P-EAST" in text
    for identifier in _identifiers(seeded):
        assert identifier not in text
    assert _count(seeded, "export") == exports + 1
    row = _last(seeded)
    assert (row.action, row.category, row.username, row.route) == (
        "export",
        "deidentified_aggregate",
        "carla",
        "/reports",
    )
    assert row.detail["sha256"] == hashlib.sha256(content).hexdigest()
    assert row.detail["programs"] == ["P-EAST"]
    assert "recorded in the audit log" in out["reports-status"]["children"]


def test_csv_comes_zipped_with_its_notice(app, seeded):
    client, deps = signed_in(app, "carla")
    out, content = _download(client, deps, "P-EAST", format="csv", level="records", grain="week")
    assert out["reports-download"]["data"]["filename"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        names = sorted(zf.namelist())
        csv_name = next(n for n in names if n.endswith(".csv"))
        assert names == [csv_name, csv_name + ".notice.txt"]
        data, notice = zf.read(csv_name), zf.read(csv_name + ".notice.txt").decode()
    assert data.decode().startswith("pseudonym,program,age_band")
    assert "42 CFR part 2" in notice
    assert _last(seeded).detail["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "program, values, message",
    [
        ("P-HARBOR", {}, "No program to export."),
        ("P-NOPE", {}, "No program to export."),
        (["P-EAST"], {}, "program: pick a program"),
        ({"p": "P-EAST"}, {}, "program: pick a program"),
        ("P-EAST", {"level": "everything"}, "level: one of"),
        ("P-EAST", {"grain": "day"}, "grain: one of month, week"),
        ("P-EAST", {"format": "docx"}, "format: one of"),
        ("P-EAST", {"level": "records", "grain": "day", "k": "5"}, "k: a whole number"),
        ("P-EAST", {"level": "records", "grain": "day", "k": 1}, "k: a whole number"),
        ("P-EAST", {"start": "2026-13-01"}, "from: not a date"),
        ("P-EAST", {"start": 20260101}, "from: pick a date"),
        ("P-EAST", {"start": "2020-01-01"}, "period: 1 to 731 days"),
    ],
    ids=[
        "other",
        "unknown",
        "list",
        "object",
        "level",
        "grain",
        "format",
        "k-text",
        "k-small",
        "bad-date",
        "date-int",
        "too-long",
    ],
)
def test_supervisor_forging_gets_a_message_and_no_file(app, seeded, program, values, message):
    client, deps = signed_in(app, "carla")
    exports = _count(seeded, "export")
    before = _count(seeded)
    out = _response(post_callback(client, reports_download_payload(deps, program, **values)))
    assert "reports-download" not in out
    assert message in out["reports-status"]["children"]
    assert _count(seeded, "export") == exports
    if message == "No program to export.":
        assert _count(seeded) == before + 1
        row = _last(seeded)
        assert (row.action, row.detail["reason"]) == ("denied", "program outside scope")
    preview = _response(post_callback(client, reports_preview_payload(deps, program, **values)))
    assert message in preview["reports-status"]["children"]


def test_admin_exports_any_program(app, seeded):
    client, deps = signed_in(app, "root")
    pickers = _response(post_callback(client, reports_pickers_payload(deps)))
    assert sorted(o["value"] for o in pickers["reports-program"]["options"]) == [
        "P-EAST",
        "P-HARBOR",
    ]
    out, content = _download(
        client, deps, "P-HARBOR", level="records", grain="week", format="xlsx", k=2
    )
    wb = load_workbook(io.BytesIO(content), read_only=True)
    assert wb.sheetnames == ["notice", "columns", "data"]
    row = _last(seeded)
    assert (row.action, row.category, row.username) == ("export", "deidentified_records", "root")
    assert row.detail["program"] == "P-HARBOR" and row.detail["k"] == 2


def test_expert_determination_from_the_page_says_so(app, seeded):
    client, deps = signed_in(app, "root")
    values = {"level": "records", "grain": "week", "k": 2, "mode": "expert_determination"}
    out = _response(post_callback(client, reports_preview_payload(deps, "P-EAST", **values)))
    body = json.dumps(out)
    assert "Expert Determination" in body and "admission_date" in body
    level = _response(post_callback(client, reports_level_payload(deps, "aggregate")))
    assert level["reports-mode"]["disabled"] is True and level["reports-k"]["disabled"] is True
    assert [o["value"] for o in level["reports-grain"]["options"]] == ["month", "week"]


def test_analyst_gets_reports_only(app, seeded, analyst):
    client, deps = signed_in(app, analyst)
    assert _nav(client) == ["Reports"]
    pickers = _response(post_callback(client, reports_pickers_payload(deps)))
    assert [o["value"] for o in pickers["reports-program"]["options"]] == ["P-EAST"]
    _, content = _download(client, deps, "P-EAST")
    assert content.startswith(b"%PDF")
    assert (_last(seeded).action, _last(seeded).username) == ("export", analyst)
    denied = post_callback(client, outcomes_pickers_payload(deps))
    assert denied.status_code == 204
    out = _response(post_callback(client, reports_download_payload(deps, "P-HARBOR")))
    assert out["reports-status"]["children"] == "No program to export."

"""De-identified exports from the Reports page: the same ``etl.export.run`` path as
``caseload export``, under the caller's scope.

``parse`` turns the browser's values (attacker-controlled JSON) into a checked request;
``preview`` builds and verifies the export without writing or releasing anything;
``download`` releases it (owner-only file in a private temporary directory, SHA-256, one
``export`` audit row written by ``run.release``) and hands back the bytes. A CSV comes zipped
with its notice, so the notice cannot be left behind.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dashboard.auth.permissions import EXPORT_ANONYMIZED
from dashboard.commands.context import CommandContext, require
from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.read import reports as read_reports
from etl.export import run
from etl.export.records import Query

LEVELS = {"aggregate": ("month", "week"), "records": ("day", "week")}
MODES = ("safe_harbor", "expert_determination")
MAX_DAYS = 731
ROUTE = "/reports"


@dataclass(frozen=True)
class ExportRequest:
    program_id: str
    start: dt.date
    end: dt.date
    level: str
    grain: str
    fmt: str
    k: int
    mode: str


def _day(value: Any, name: str) -> dt.date:
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: pick a date")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise InvalidInput(f"{name}: not a date") from exc


def _choice(value: Any, allowed, name: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{name}: one of {', '.join(allowed)}")
    return value


def parse(values: dict[str, Any]) -> ExportRequest:
    """A checked request from the page's control values, or ``InvalidInput`` naming the field."""
    level = _choice(values.get("level"), tuple(LEVELS), "level")
    start, end = _day(values.get("start"), "from"), _day(values.get("end"), "to")
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"period: 1 to {MAX_DAYS} days, the end after the start")
    k = values.get("k")
    if level == "records" and (type(k) is not int or not 2 <= k <= 100):
        raise InvalidInput("k: a whole number from 2 to 100")
    mode = _choice(values.get("mode") or "safe_harbor", MODES, "mode")
    if level == "aggregate" and mode != "safe_harbor":
        raise InvalidInput("mode: aggregate reports are Safe Harbor only")
    program = values.get("program")
    if not isinstance(program, str):
        raise InvalidInput("program: pick a program")
    return ExportRequest(
        program_id=program,
        start=start,
        end=end,
        level=level,
        grain=_choice(values.get("grain"), LEVELS[level], "grain"),
        fmt=_choice(values.get("fmt"), run.FORMATS, "format"),
        k=k if level == "records" else 5,
        mode=mode,
    )


def _program(engine: Engine, ctx: CommandContext, request: ExportRequest) -> int:
    require(ctx, EXPORT_ANONYMIZED)
    with engine.connect() as conn:
        key = read_reports.resolve_program(conn, ctx.scope, request.program_id)
    if key is None:
        raise AccessDenied("program outside scope")
    return key


def _prepare(engine: Engine, ctx: CommandContext, request: ExportRequest) -> run.Prepared:
    key = _program(engine, ctx, request)
    if request.level == "aggregate":
        return run.prepare_aggregate(
            engine,
            fmt=request.fmt,
            program_keys=[key],
            start=request.start,
            end=request.end,
            grain=request.grain,
        )
    query = Query(
        program_id=request.program_id, start=request.start, end=request.end, grain=request.grain
    )
    return run.prepare_records(engine, query, fmt=request.fmt, k=request.k, mode=request.mode)


def preview(engine: Engine, ctx: CommandContext, *, request: ExportRequest) -> run.Prepared:
    """What the download would hold, verified, without writing or auditing an export."""
    return _prepare(engine, ctx, request)


def filename(request: ExportRequest) -> str:
    return (
        f"caseload-{request.level}-{request.program_id}-{request.start:%Y%m%d}-"
        f"{request.end:%Y%m%d}.{request.fmt}"
    )


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    summary: dict


def download(engine: Engine, ctx: CommandContext, *, request: ExportRequest) -> Download:
    """Release the export through ``run.release`` (audited once, with its SHA-256)."""
    prepared = _prepare(engine, ctx, request)
    name = filename(request)
    folder = Path(tempfile.mkdtemp(prefix="caseload-export-"))  # 0700, ours alone
    try:
        out = folder / name
        result = run.release(engine, prepared, out, actor=ctx.actor, route=ROUTE)
        if request.fmt != "csv":
            return Download(name, out.read_bytes(), result.summary)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(out, name)
            zf.write(folder / f"{name}.notice.txt", f"{name}.notice.txt")
        return Download(name.removesuffix(".csv") + ".zip", buf.getvalue(), result.summary)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

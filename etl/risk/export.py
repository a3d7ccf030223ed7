"""``caseload scores``: the stored daily scores as CSV, for integration and audit.

The file holds the program's client ids next to each score, so it is identified data: the
export is written to the access audit log (action ``export``) with the client keys it covers,
in the same transaction that makes the file visible. The file is written under a temporary
name first and renamed only once the audit row is committed, so no export exists unlogged; it
is readable by its owner only.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import os
import socket
from pathlib import Path

from sqlalchemy import Engine, select

from etl.audit import Actor, record
from etl.models import DimClient, FctRiskScore

COLUMNS = ("client_id", "date", "score", "tier", "reasons")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def cli_actor() -> Actor:
    """The operating-system user and the host the command ran on: who and from where."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers): still an attributable actor
        user = "unknown"
    return Actor(username=f"cli:{user}", role="admin", source_address=socket.gethostname() or None)


def _private_file(path: Path):
    """Open a new file only the owner can read (identified data; the umask is often 022).
    O_EXCL after removing any leftover: a symlink planted under this name in a shared
    directory is not followed."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(fd, "w", encoding="utf-8", newline="")


def export_scores(
    engine: Engine,
    out: Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    actor: Actor | None = None,
) -> int:
    """Write scores in [start, end] to ``out``; returns the number of rows written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    stmt = (
        select(
            DimClient.client_id,
            FctRiskScore.client_key,
            FctRiskScore.date,
            FctRiskScore.score,
            FctRiskScore.tier,
            FctRiskScore.reasons,
        )
        .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
        .order_by(FctRiskScore.date, DimClient.client_id)
    )
    if start:
        stmt = stmt.where(FctRiskScore.date >= start)
    if end:
        stmt = stmt.where(FctRiskScore.date <= end)
    rows = 0
    keys: set[int] = set()
    try:
        with engine.connect() as conn, _private_file(tmp) as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            result = conn.execution_options(stream_results=True, yield_per=20_000).execute(stmt)
            for r in result:
                reasons = (
                    r.reasons
                    if isinstance(r.reasons, str)
                    else json.dumps(r.reasons, separators=(",", ":"))
                )
                writer.writerow((_cell(r.client_id), r.date.isoformat(), r.score, r.tier, reasons))
                keys.add(int(r.client_key))
                rows += 1
        with engine.begin() as conn:
            record(
                conn,
                action="export",
                actor=actor or cli_actor(),
                route="caseload scores",
                category="risk_scores",
                client_keys=sorted(keys),
                detail={
                    "rows": rows,
                    "from": start.isoformat() if start else None,
                    "to": end.isoformat() if end else None,
                    "file": out.name,
                    "identified": True,
                },
            )
        os.replace(tmp, out)  # after the audit row is committed: never an unlogged export
    finally:
        tmp.unlink(missing_ok=True)
    return rows

"""Per-client secret date offsets for the Expert Determination mode.

Safe Harbor keeps no date element but the year. A program whose expert has determined that
shifted dates carry a very small risk (45 CFR 164.514(b)(1)) may export real intervals on
moved calendars instead: each client's dates move by one offset of up to ``MAX_SHIFT_DAYS``
either way, drawn with ``secrets`` and kept in ``export_date_shift`` so every export in this
mode moves that client the same way. Offsets are never zero and never derived from the client.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from sqlalchemy import Engine, insert, select

from etl.models import ExportDateShift

MAX_SHIFT_DAYS = 182


def draw() -> int:
    """A non-zero offset in -MAX..-1, 1..MAX days."""
    n = secrets.randbelow(2 * MAX_SHIFT_DAYS) + 1  # 1..2*MAX
    return n if n <= MAX_SHIFT_DAYS else MAX_SHIFT_DAYS - n


def offsets(engine: Engine, client_keys: Iterable[int]) -> dict[int, int]:
    """Each client's offset in days, drawing and storing the missing ones."""
    keys = sorted(set(int(k) for k in client_keys))
    with engine.begin() as conn:
        stmt = select(ExportDateShift.client_key, ExportDateShift.offset_days)
        known = dict(conn.execute(stmt.where(ExportDateShift.client_key.in_(keys))).all())
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        new = [
            {"client_key": k, "offset_days": draw(), "created_at": now}
            for k in keys
            if k not in known
        ]
        if new:
            conn.execute(insert(ExportDateShift), new)
    known.update({r["client_key"]: r["offset_days"] for r in new})
    return {k: int(known[k]) for k in keys}

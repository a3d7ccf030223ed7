"""Random pseudonyms for clients, optionally kept stable in the program's link table.

A pseudonym is ``secrets.token_hex``: not derived from anything about the client, so it cannot
be recomputed from an MRN (a keyed hash of the record number would not qualify under Safe
Harbor). Without ``stable`` each export draws fresh ones and keeps no link at all.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from sqlalchemy import Engine, insert, select

from etl.models import ExportPseudonym


def _draw(taken: set[str]) -> str:
    while True:
        p = "P" + secrets.token_hex(6)
        if p not in taken:
            taken.add(p)
            return p


def assign(engine: Engine, client_keys: Iterable[int], *, stable: bool) -> dict[int, str]:
    keys = sorted(set(int(k) for k in client_keys))
    if not stable:
        taken: set[str] = set()
        return {k: _draw(taken) for k in keys}
    with engine.begin() as conn:
        known = dict(
            conn.execute(select(ExportPseudonym.client_key, ExportPseudonym.pseudonym)).all()
        )
        taken = set(known.values())
        new = [
            {
                "client_key": k,
                "pseudonym": _draw(taken),
                "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            }
            for k in keys
            if k not in known
        ]
        if new:
            conn.execute(insert(ExportPseudonym), new)
    known.update({r["client_key"]: r["pseudonym"] for r in new})
    return {k: known[k] for k in keys}

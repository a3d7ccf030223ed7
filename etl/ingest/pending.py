"""The risk refresh a drop-folder run still owes (``etl_refresh_pending``).

Each file's changes are recorded in that file's own transaction, so they commit with its rows
or not at all; the run refreshes once for all of them and only then forgets them. A run killed
after a load committed and before the refresh ends leaves the rows here for the next run.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert, select, tuple_

from etl.changes import ChangeSet
from etl.models import EtlRefreshPending

_BATCH = 5000


def remember(conn: Connection, changes: ChangeSet) -> None:
    """Merge ``changes`` into the pending rows (the earliest date per client wins)."""
    keys = list(changes.client_dates)
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        known = dict(
            conn.execute(
                select(EtlRefreshPending.client_key, EtlRefreshPending.from_date).where(
                    EtlRefreshPending.client_key.in_(batch)
                )
            ).all()
        )
        rows = []
        for key in batch:
            day = changes.client_dates[key]
            if key in known:
                day = min(day, known[key])
            rows.append({"client_key": int(key), "from_date": day})
        if known:
            conn.execute(
                delete(EtlRefreshPending).where(EtlRefreshPending.client_key.in_(list(known)))
            )
        conn.execute(insert(EtlRefreshPending), rows)


def owed(engine: Engine) -> ChangeSet:
    with engine.connect() as conn:
        rows = conn.execute(select(EtlRefreshPending.client_key, EtlRefreshPending.from_date))
        return ChangeSet({int(k): d for k, d in rows})


def settled(engine: Engine, changes: ChangeSet) -> None:
    """Forget what a committed refresh covered (exactly those rows: a row moved to an earlier
    date since is still owed)."""
    pairs = list(changes.client_dates.items())
    with engine.begin() as conn:
        for start in range(0, len(pairs), _BATCH):
            batch = pairs[start : start + _BATCH]
            conn.execute(
                delete(EtlRefreshPending).where(
                    tuple_(EtlRefreshPending.client_key, EtlRefreshPending.from_date).in_(batch)
                )
            )

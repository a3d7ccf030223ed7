"""Standalone audit rows (page views, denials, logins) appended in batches, still durably.

Each append holds the chain's lock until its transaction commits, and a commit waits for the
disk (about 3 ms on PostgreSQL here; measured 73 appends/s with 16 writers each committing
its own row). So each process has one appender thread: callers hand it their row and wait;
it chains every row waiting at that moment in one transaction, one lock and one flush for the
lot, and then tells each caller its id (or the error). A caller returns only once its row is
committed, exactly as before; only the cost is shared. Across processes the database lock
still orders the batches.

``submit`` hands the row over without waiting, for a caller with other work to do meanwhile
(a page view is recorded while its rows are turned into JSON); the caller still waits for the
commit before its response leaves (``Future.result``).
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine

from etl.audit import append_rows, event_row

MAX_BATCH = 500
_lock = threading.Lock()
_queues: dict[tuple[int, int], AppendQueue] = {}


class AppendQueue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: queue.SimpleQueue[tuple[dict[str, Any], Future]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="audit-append", daemon=True).start()

    def submit(self, **event: Any) -> Future:
        """Queue one event (arguments as for ``etl.audit.event_row``); the future gives its id
        once committed, or raises why it was not."""
        done: Future = Future()
        self.pending.put((event_row(**event), done))
        return done

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            try:
                # A pooled connection per batch, returned at once: ``engine.dispose()`` (tests,
                # a restart) closes it, and no server connection idles behind a quiet queue.
                with self.engine.begin() as conn:
                    ids = [r["event_id"] for r in append_rows(conn, [row for row, _ in batch])]
            except BaseException as exc:  # every waiter learns its row was not written
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for (_, done), event_id in zip(batch, ids, strict=True):
                done.set_result(event_id)


def submit(engine: Engine, **event: Any) -> Future:
    """Queue one standalone event on this process's queue for ``engine``; wait on the future."""
    key = (os.getpid(), id(engine))  # a forked worker starts a thread of its own
    with _lock:
        q = _queues.get(key)
        if q is None or q.engine is not engine:
            q = _queues[key] = AppendQueue(engine)
    return q.submit(**event)


def append(engine: Engine, **event: Any) -> int:
    """Append one standalone event; return its id once committed."""
    return submit(engine, **event).result()

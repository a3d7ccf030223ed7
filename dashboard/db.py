"""The warehouse engines as a Flask extension: created unbound here, bound in ``create_app``.

Callbacks and commands reach the engines through ``db`` (the current app's), so two apps in
one process (tests) never share a connection pool by accident.

With ``DATABASE_READ_URL`` set, page reads (``View.conn``: the read models of
``dashboard/read/``) go to that replica; commands, the audit log, sign-in and the session
checks always use the primary (``db.engine``): a replica a moment behind must never bring a
signed-out session back. Read-your-writes: a command marks the caller's signed session with
``primary_until`` (now + ``CASELOAD_READ_YOUR_WRITES_SECONDS``, 30 s by default) and until then
that user's reads go to the primary too, so a follow-up just logged is never shown as missing
while the replica catches up. Other users read the replica as before. Without a replica URL
both are the same engine.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, has_request_context, session
from sqlalchemy import Engine

from etl.db import make_engine

_KEY = "caseload_db"
_READ_KEY = "caseload_db_read"
PRIMARY_UNTIL = "primary_until"


class Database:
    def init_app(
        self, app: Flask, url: str, read_url: str | None = None, **engine_options
    ) -> Engine:
        engine = make_engine(url, **engine_options)
        app.extensions[_KEY] = engine
        app.extensions[_READ_KEY] = make_engine(read_url, **engine_options) if read_url else engine
        return engine

    def after_fork(self, app: Flask) -> None:
        """In a forked worker: forget the pooled connections inherited from the master
        (closing them would close the master's sockets too); the worker opens its own."""
        for key in (_KEY, _READ_KEY):
            engine = app.extensions.get(key)
            if engine is not None:
                engine.dispose(close=False)

    def dispose(self, app: Flask) -> None:
        for key in (_KEY, _READ_KEY):
            engine = app.extensions.get(key)
            if engine is not None:
                engine.dispose()

    @property
    def engine(self) -> Engine:
        """The primary: commands, audit rows, logins, session checks."""
        return current_app.extensions[_KEY]

    @property
    def read_engine(self) -> Engine:
        """Where this request's page reads go: the replica, unless the caller wrote lately."""
        if has_request_context() and float(session.get(PRIMARY_UNTIL, 0)) > time.time():
            return current_app.extensions[_KEY]
        return current_app.extensions[_READ_KEY]

    def wrote(self) -> None:
        """The caller ran a command: their next reads see it (read-your-writes)."""
        if has_request_context() and current_app.extensions[_READ_KEY] is not self.engine:
            seconds = current_app.config["CASELOAD_READ_YOUR_WRITES_SECONDS"]
            session[PRIMARY_UNTIL] = int(time.time() + seconds) + 1


db = Database()

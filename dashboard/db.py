"""The warehouse engine as a Flask extension: created unbound here, bound in ``create_app``.

Callbacks and commands reach the engine through ``db.engine`` (the current app's), so two
apps in one process (tests) never share a connection pool by accident.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import Engine

from etl.db import make_engine

_KEY = "caseload_db"


class Database:
    def init_app(self, app: Flask, url: str, **engine_options) -> Engine:
        engine = make_engine(url, **engine_options)
        app.extensions[_KEY] = engine
        return engine

    def after_fork(self, app: Flask) -> None:
        """In a forked worker: forget the pooled connections inherited from the master
        (closing them would close the master's sockets too); the worker opens its own."""
        for key in (_KEY,):
            engine = app.extensions.get(key)
            if engine is not None:
                engine.dispose(close=False)

    @property
    def engine(self) -> Engine:
        return current_app.extensions[_KEY]


db = Database()

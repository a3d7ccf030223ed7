"""gunicorn run in-process on an app that is already built (``caseload serve --production``).

The app is built in the master, so its start-up checks run once and refuse before any worker
exists; workers are forked from it and each drops the database connections it inherited.
Workers are synchronous with a few threads each: a callback waits on the database most of
its time, and gunicorn's ``gthread`` worker keeps one slow request from holding a process.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from dashboard.db import db


class _Server(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int, threads: int = 4) -> None:
    def post_fork(_server, _worker) -> None:
        db.after_fork(app)

    _Server(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 20,
            "preload_app": True,
            "post_fork": post_fork,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "caseload",
        },
    ).run()

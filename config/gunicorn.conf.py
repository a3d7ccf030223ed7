"""gunicorn settings for ``gunicorn -c config/gunicorn.conf.py dashboard.wsgi:app``, the same
as ``caseload serve --production`` (which docs/deploy.md uses): the app is built once in the
master, so a refused configuration stops start-up with exit code 2 before any worker forks,
and each worker drops the database connections it inherited."""

import os

bind = os.environ.get("CASELOAD_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("CASELOAD_WORKERS", "4"))
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 20
preload_app = True
errorlog = "-"
proc_name = "caseload"


def post_fork(server, worker):
    from dashboard.db import db
    from dashboard.wsgi import app

    db.after_fork(app)

"""WSGI entry point for gunicorn: ``gunicorn --preload -w 4 -b 127.0.0.1:8050 dashboard.wsgi:app``
(``caseload serve --production`` does the same and is what docs/deploy.md uses).

Configuration comes from the environment (``SECRET_KEY``, ``CASELOAD_AUDIT_KEY``,
``DATABASE_URL``, ``CASELOAD_PROXY_HOPS``...) with production's rules whatever
``CASELOAD_ENV`` says: importing this module is serving. A configuration that cannot run
safely prints one line and exits with code 2; with ``--preload`` that happens once, in the
master, before any worker starts (without it every worker would stop in turn).
"""

from dashboard import create_app
from dashboard.config import Config, ConfigError
from dashboard.serve import freeze_heap, refuse

try:
    app = create_app(Config.from_env(serving=True))
except ConfigError as exc:
    refuse(str(exc))
freeze_heap()

"""WSGI entry point: ``gunicorn -w 4 -b 0.0.0.0:8050 dashboard.wsgi:app``.

Configuration comes from the environment (``SECRET_KEY``, ``DATABASE_URL``, ``CASELOAD_ENV``,
``CASELOAD_PROXY_HOPS``...); with ``CASELOAD_ENV=production`` a missing key stops start-up.
"""

from dashboard import create_app

app = create_app()

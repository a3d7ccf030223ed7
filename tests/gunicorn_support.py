"""Real gunicorn instances of the app (``caseload serve --production``) on loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

SECRET_KEY = "w" * 48
AUDIT_KEY = "q" * 48


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASELOAD_", "FLASK_"))}
    env.update(
        {
            "PYTHONPATH": os.getcwd(),
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "CASELOAD_AUDIT_KEY": AUDIT_KEY,
            "CASELOAD_ENV": "production",
            "CASELOAD_HTTPS": "0",  # plain HTTP on loopback: cookies without Secure
            "CASELOAD_TODAY": "2026-11-27",
        }
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, port: int | None = None) -> Iterator[str]:
    """Start ``caseload serve --production`` and yield its base URL once it answers."""
    port = port or free_port()
    caseload = os.path.join(os.path.dirname(sys.executable), "caseload")
    proc = subprocess.Popen(
        [caseload, "serve", "--production", "--workers", str(workers), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{url}/login", timeout=5)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read() if proc.stdout else ""
                    raise RuntimeError(f"gunicorn did not start:\n{out[-3000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # quick shutdown: no wait on keep-alive sockets
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

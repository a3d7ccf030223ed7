"""``caseload serve --production`` and ``dashboard.wsgi`` refuse to start unsafely: one line on
stderr naming the problem, exit code 2, before a port is bound or a worker forks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from etl.cli import main
from etl.db import make_engine
from etl.models import Base

GOOD = {
    "SECRET_KEY": "s" * 48,
    "CASELOAD_AUDIT_KEY": "a" * 48,
    # Nothing listens there: every refusal below comes before the database is touched.
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
}
CASES = [
    ({"CASELOAD_DEBUG": "1"}, "debug mode is on"),
    ({"FLASK_DEBUG": "true"}, "debug mode is on"),
    ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
    ({"CASELOAD_AUDIT_KEY": ""}, "CASELOAD_AUDIT_KEY is not set"),
    ({"CASELOAD_AUDIT_KEY": "k" * 31}, "CASELOAD_AUDIT_KEY must be at least 32 characters"),
    ({"DATABASE_URL": "sqlite:////tmp/caseload-refused.db"}, "DATABASE_URL is an SQLite file"),
]


def _env(monkeypatch, changes: dict[str, str]) -> None:
    # --production applies production's rules whatever CASELOAD_ENV says.
    monkeypatch.setenv("CASELOAD_ENV", "development")
    for name in ("CASELOAD_DEBUG", "FLASK_DEBUG", "CASELOAD_ALLOW_SQLITE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**GOOD, **changes}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("changes", "message"), CASES)
def test_serve_production_refuses(monkeypatch, changes, message) -> None:
    _env(monkeypatch, changes)
    result = CliRunner().invoke(main, ["serve", "--production", "--port", "0"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("caseload: refusing to start: ")
    assert message in lines[0]


def test_plain_serve_keeps_development_rules(monkeypatch) -> None:
    """Without --production an SQLite laptop demo is what ``caseload serve`` is for: the
    SQLite rule is not applied (it would bind the port, so an unbindable host stops it)."""
    _env(monkeypatch, {"DATABASE_URL": "sqlite://", "SECRET_KEY": ""})
    result = CliRunner().invoke(main, ["serve", "--host", "256.256.256.256", "--port", "0"])
    assert "refusing" not in result.output
    assert result.exit_code != 2


def _run(args: list[str], changes: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CASELOAD_DEBUG", "FLASK_DEBUG")}
    env.update({**GOOD, **changes, "CASELOAD_ENV": "development", "PYTHONPATH": os.getcwd()})
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("changes", "message"), [CASES[0], CASES[4], CASES[6]], ids=["debug", "audit", "sqlite"]
)
def test_wsgi_entry_refuses(changes, message) -> None:
    """Importing the WSGI module is serving: the same refusals, the same exit code."""
    done = _run([sys.executable, "-c", "import dashboard.wsgi"], changes)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("caseload: refusing to start: ")
    assert message in lines[0]


def test_gunicorn_with_the_shipped_config_refuses_once() -> None:
    """``gunicorn -c config/gunicorn.conf.py`` builds the app in the master: a refusal ends
    gunicorn itself with exit code 2 (not a loop of workers failing to boot)."""
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    done = _run(
        [gunicorn, "-c", "config/gunicorn.conf.py", "-b", "127.0.0.1:0", "dashboard.wsgi:app"],
        {"CASELOAD_AUDIT_KEY": ""},
    )
    assert done.returncode == 2
    assert "caseload: refusing to start: CASELOAD_AUDIT_KEY is not set" in done.stderr
    assert "Booting worker" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_allow_sqlite_starts_gunicorn_workers(tmp_path) -> None:
    """Told explicitly, --production serves an SQLite warehouse under gunicorn's workers."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, **GOOD, "DATABASE_URL": url, "CASELOAD_HTTPS": "0"}
    env.update({"CASELOAD_ENV": "development", "PYTHONPATH": os.getcwd()})
    caseload = os.path.join(os.path.dirname(sys.executable), "caseload")
    args = [caseload, "serve", "--production", "--allow-sqlite", "--workers", "2"]
    proc = subprocess.Popen(
        [*args, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert response.status_code == 200
        assert "Sign in" in response.text
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert out.count("Booting worker") == 2


def test_wsgi_entry_freezes_what_start_up_built(tmp_path) -> None:
    """A served app's start-up objects are out of the collector's reach before the first
    request (``serve.freeze_heap``): a full collection no longer walks them mid-request."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    probe = "import gc, dashboard.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    done = _run(
        [sys.executable, "-c", probe],
        {"DATABASE_URL": url, "CASELOAD_ALLOW_SQLITE": "1", "CASELOAD_HTTPS": "0"},
    )
    assert done.returncode == 0, done.stderr
    frozen, tracked = (int(n) for n in done.stdout.split())
    assert frozen > 100_000  # modules, the app, Dash's registries
    assert tracked < frozen / 10  # what a collection still walks

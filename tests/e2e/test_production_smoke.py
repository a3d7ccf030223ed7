"""The production path, end to end, kept under a minute (``.ci/run`` runs it first, ``-m smoke``):
``caseload serve --production`` with 2 gunicorn workers on PostgreSQL, driven by headless
Chromium (sign in, Today, a client, sign out), and ``caseload run-ingest`` on a drop folder
holding one good and one bad file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import add_standard_users, seed_world
from gunicorn_support import gunicorn, server_env
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import grid_rows, sign_in, wait

from etl.db import make_engine
from etl.models import Base

pytestmark = pytest.mark.smoke
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


@pytest.fixture(scope="module")
def pg_url(pg_server) -> str:
    """A warehouse with the schema, for each test here (under xdist they may run apart)."""
    if pg_server is None:
        pytest.skip("needs CASELOAD_TEST_POSTGRES_URL")
    url = pg_server.create_database()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def test_gunicorn_workers_serve_a_browser_session(pg_url, browser) -> None:
    engine = make_engine(pg_url)
    world = seed_world(engine)
    add_standard_users(engine)
    engine.dispose()
    with gunicorn(server_env(pg_url), workers=2) as base:
        sign_in(browser, base, "ana")
        grid_rows(browser, len(world.caseloads["S-C1"]))
        client_id = sorted(world.caseloads["S-C1"])[0]
        browser.get(f"{base}/client/{client_id}")
        name = world.names[client_id]
        wait(browser).until(EC.text_to_be_present_in_element((By.ID, "client-name"), name))
        browser.find_element(By.ID, "nav-logout").click()
        wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
        browser.get(f"{base}/client/{client_id}")
        wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
        assert name not in browser.page_source


def test_run_ingest_moves_a_good_and_a_bad_file(pg_url, tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "programs.csv").write_bytes((FIXTURES / "programs.csv").read_bytes())
    (drop / "broken.csv").write_text("checkin_id,submitted_at\nK1,2026-11-01T08:00:00\n")
    caseload = os.path.join(os.path.dirname(sys.executable), "caseload")
    done = subprocess.run(
        [caseload, "run-ingest", str(drop), "--settle", "0.2", "--json"],
        env={**os.environ, "DATABASE_URL": pg_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # one file failed
    out = json.loads(done.stdout)
    day = dt.date.today().isoformat()
    assert {f["file"]: f["moved_to"] for f in out["files"]} == {
        "programs.csv": f"processed/{day}/programs.csv",
        "broken.csv": f"failed/{day}/broken.csv",
    }
    assert (drop / "processed" / day / "programs.csv.report.json").exists()
    assert (drop / "failed" / day / "broken.csv.report.json").exists()
    assert sorted(p.name for p in drop.iterdir() if not p.name.startswith(".")) == [
        "failed",
        "processed",
    ]

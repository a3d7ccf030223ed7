"""Browser tests: the real app (from the factory) on a free localhost port, against a SQLite
file seeded by the dashboard's fixtures (``live``) or by the real pipeline, synth -> ingest ->
risk refresh (``live_pipeline``), driven by Debian's headless Chromium."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dash_client import app_config
from dash_pipeline import PipelineWorld, seed_pipeline
from factories import add_small_users, add_standard_users, seed_small_caseload, seed_world
from werkzeug.serving import make_server

from dashboard import create_app
from etl.db import make_engine
from etl.models import Base

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(
    os.environ.get("CASELOAD_SCREENSHOTS", Path(__file__).parents[1] / "screenshots")
)


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


class LiveServer:
    def __init__(self, app) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live(fresh_database) -> Iterator[tuple[LiveServer, object]]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium and chromium-driver are not installed")
    url = fresh_database("sqlite")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_world(engine)
    add_standard_users(engine)
    app = create_app(app_config(url))
    with LiveServer(app) as server:
        yield server, world
    engine.dispose()


@pytest.fixture(scope="session")
def live_small(fresh_database) -> Iterator[tuple[LiveServer, object]]:
    """The hand-made caseload of the Missed and Sleep & stress tests."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium and chromium-driver are not installed")
    url = fresh_database("sqlite")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_small_caseload(engine)
    add_small_users(engine)
    app = create_app(app_config(url))
    with LiveServer(app) as server:
        yield server, world
    engine.dispose()


@pytest.fixture(scope="session")
def live_pipeline(tmp_path_factory, fresh_database) -> Iterator[tuple[LiveServer, PipelineWorld]]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium and chromium-driver are not installed")
    folder = tmp_path_factory.mktemp("e2e-pipeline")
    url = fresh_database("sqlite")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_pipeline(engine, folder / "synth")
    app = create_app(app_config(url, today=str(world.today)))
    with LiveServer(app) as server:
        yield server, world
    engine.dispose()


def _chromium(phone: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="caseload-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1366,768",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if phone:
        # A phone's viewport (headless windows are at least 500 px wide, so not a window size).
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": True}},
        )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if not phone:
        driver.set_window_size(1366, 768)
    return driver, profile


@pytest.fixture
def browser():
    driver, profile = _chromium()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def phone():
    """Chromium emulating a 390x844 phone."""
    driver, profile = _chromium(phone=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, driver=None) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        (driver or browser).save_screenshot(str(path))
        return path

    return take


@pytest.fixture
def phone_screenshot(phone):
    """Screenshots of the phone alone (``screenshot`` would also start a desktop browser)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        phone.save_screenshot(str(path))
        return path

    return take

"""The admin pages in a real browser, on a desktop (1366x768) and a phone (390x844, ChromeDriver
mobile emulation): loads with a quarantined row, the audit log. Screenshots are saved for
people to look at."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import CHROMEDRIVER, CHROMIUM, SCREENSHOTS, LiveServer
from dash_client import app_config
from factories import add_user
from selenium.webdriver.common.by import By
from test_dashboard import sign_in, wait

from dashboard import create_app
from etl.db import make_engine
from etl.ingest.pipeline import ingest_paths
from etl.models import Base

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"
CHECKINS = (
    "checkin_id,client_id,submitted_at,craving,stress,mood,sleep_hours,sleep_quality,"
    "used_since_last,triggers,support_contact,coping,note\n"
    "K900,C900,2026-11-01T08:30:00,3,4,6,7.5,4,no,,yes,walk,relapsed at the pier\n"
)


@pytest.fixture(scope="module")
def admin_live(tmp_path_factory, fresh_database):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium and chromium-driver are not installed")
    folder = tmp_path_factory.mktemp("e2e-admin")
    url = fresh_database("sqlite")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    checkins = folder / "checkins.csv"
    checkins.write_text(CHECKINS)
    ingest_paths(
        engine,
        [FIXTURES / n for n in ("programs.csv", "staff.csv", "clients.csv")] + [checkins],
    )
    add_user(engine, "root", "admin", program_id="P1")
    app = create_app(app_config(url))
    with LiveServer(app) as server:
        yield server
    engine.dispose()


def _driver(mobile: bool):
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
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    if mobile:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": True}},
        )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if not mobile:
        driver.set_window_size(1366, 768)
    return driver, profile


@pytest.fixture(params=["desktop", "mobile"])
def device(request):
    driver, profile = _driver(request.param == "mobile")
    yield request.param, driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _shot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def test_admin_loads_and_quarantine(admin_live, device) -> None:
    kind, driver = device
    sign_in(driver, admin_live.url, "root")
    wait(driver).until(lambda d: d.find_elements(By.ID, "nav-user"))
    driver.get(f"{admin_live.url}/admin/loads")
    rows = "#loads-grid .ag-center-cols-container .ag-row"
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) == 4)
    checkins_row = next(
        r for r in driver.find_elements(By.CSS_SELECTOR, rows) if "checkins" in r.text
    )
    checkins_row.find_element(By.CSS_SELECTOR, '.ag-cell[col-id="file"]').click()
    q_rows = "#loads-quarantine .ag-center-cols-container .ag-row"
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, q_rows)) == 1)
    text = driver.find_element(By.ID, "loads-page").text
    assert "unknown client_id 'C900'" in text and "relapsed at the pier" not in text
    assert driver.find_element(By.ID, "loads-retry").is_enabled()
    assert "Check-ins" not in driver.find_element(By.ID, "shell-freshness").text  # fresh
    assert driver.title == "Loads · Caseload"
    _shot(driver, f"admin-loads-{kind}")


def test_admin_audit_log(admin_live, device) -> None:
    kind, driver = device
    sign_in(driver, admin_live.url, "root")
    wait(driver).until(lambda d: d.find_elements(By.ID, "nav-user"))
    driver.get(f"{admin_live.url}/admin/audit")
    rows = "#audit-grid .ag-center-cols-container .ag-row"
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) > 0)
    driver.find_element(By.ID, "audit-verify").click()
    wait(driver).until(lambda d: "intact" in d.find_element(By.ID, "audit-verification").text)
    assert "by root: intact" in driver.find_element(By.ID, "audit-verification").text
    assert driver.title == "Audit log · Caseload"
    _shot(driver, f"admin-audit-{kind}")

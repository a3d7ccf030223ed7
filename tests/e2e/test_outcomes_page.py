"""A supervisor's Outcomes page in a real browser, on a synthetic program: the cards hold the
read layer's figures, the charts draw, a counselor filter narrows them. Screenshots at laptop
(1366x768) and phone (390x844, Chromium's mobile emulation) sizes are saved for people."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile

import pytest
from conftest import CHROMEDRIVER, CHROMIUM, SCREENSHOTS
from dash_pipeline import PASSWORDS
from factories import url_of
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import sign_in, wait

from dashboard.outcomes_cli import CLI_SCOPE
from dashboard.read import outcomes as read_outcomes
from etl.db import make_engine


def _expected(server_url_db: str, program_id: str, today: dt.date) -> dict:
    engine = make_engine(server_url_db)
    with engine.connect() as conn:
        key = read_outcomes.resolve_program(conn, CLI_SCOPE, program_id)
        result = read_outcomes.program_outcomes(conn, key, today - dt.timedelta(days=89), today)
    engine.dispose()
    return result


def _open_outcomes(driver, base: str) -> None:
    sign_in(driver, base, "demo.supervisor", PASSWORDS["demo.supervisor"])
    wait(driver).until(EC.presence_of_element_located((By.ID, "nav-user")))
    driver.get(f"{base}/outcomes")
    wait(driver).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "#outcomes-card-census .card-count").text
            not in ("", "–")
        )
    )
    for graph in ("survival", "trends", "mix", "balance"):
        wait(driver).until(
            lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#outcomes-{g} .main-svg")
        )


def test_supervisor_outcomes_page(live_pipeline, browser, screenshot):
    server, world = live_pipeline
    _open_outcomes(browser, server.url)
    url = url_of(world.engine)
    want = _expected(url, world.program_id, world.today)
    census = browser.find_element(By.CSS_SELECTOR, "#outcomes-card-census .card-count").text
    assert census == f"{want['census_end']:,}"
    adherence = browser.find_element(By.CSS_SELECTOR, "#outcomes-card-adherence .card-count")
    assert adherence.text == f"{100 * want['adherence']['rate']:.1f}%"
    # The synthetic program has 60 days of data: the 90 days before hold no check-ins.
    change = browser.find_element(By.CSS_SELECTOR, "#outcomes-card-adherence .card-sub").text
    assert change == "no earlier figure"
    change = browser.find_element(By.CSS_SELECTOR, "#outcomes-card-admissions .card-sub").text
    assert change.endswith("vs previous period")
    rows = browser.find_elements(By.CSS_SELECTOR, ".outcomes-staff-table tbody tr")
    assert len(rows) == len(want["counselors"])
    # Mix areas: four tiers stacked.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#outcomes-mix .scatterlayer .trace")) == 4
    screenshot("outcomes-1366x768")
    # The model check runs on request, shows that it is working, then stays for the day.
    button = browser.find_element(By.ID, "outcomes-check-run")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    screenshot("outcomes-check-button")
    browser.execute_script("arguments[0].click()", button)
    wait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".outcomes-check-table"))
    chosen = wait(browser).until(EC.presence_of_element_located((By.ID, "outcomes-budget-chosen")))
    assert chosen.text.startswith("With 5 clients per counselor each morning")
    assert "AUROC (95% CI)" in browser.find_element(By.ID, "outcomes-check").text
    browser.set_window_size(1366, 3800)
    screenshot("outcomes-1366-full")


@pytest.fixture
def phone():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="caseload-phone-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}, "userAgent": "Mobile"},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_supervisor_outcomes_on_a_phone(live_pipeline, phone):
    server, _world = live_pipeline
    _open_outcomes(phone, server.url)
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.save_screenshot(str(SCREENSHOTS / "outcomes-390x844.png"))

"""A supervisor's Reports page in a real browser, on the synthetic program: preview the
aggregate report, download the PDF through dcc.Download, switch to client-level rows.
Screenshots at laptop (1366x768) and phone (390x844) sizes."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import SCREENSHOTS
from dash_pipeline import PASSWORDS
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import sign_in, wait


def _open_reports(driver, base: str) -> None:
    sign_in(driver, base, "demo.supervisor", PASSWORDS["demo.supervisor"])
    wait(driver).until(EC.presence_of_element_located((By.ID, "nav-user")))
    driver.get(f"{base}/reports")
    wait(driver).until(lambda d: d.find_element(By.ID, "reports-program").text.strip())


def _click(driver, element_id: str) -> None:
    button = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    driver.execute_script("arguments[0].click()", button)


def _preview(driver) -> str:
    _click(driver, "reports-preview-btn")
    wait(driver, 90).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reports-figures"))
    return driver.find_element(By.ID, "reports-summary").text


def test_supervisor_previews_and_downloads(live_pipeline, browser, screenshot, tmp_path):
    server, _world = live_pipeline
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    _open_reports(browser, server.url)
    assert "Reports" in [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    summary = _preview(browser)
    assert "Cells suppressed" in summary and "Smallest published cell" in summary
    rows = browser.find_elements(By.CSS_SELECTOR, "#reports-preview tbody tr")
    assert len(rows) >= 3
    assert rows[0].find_elements(By.TAG_NAME, "td")[1].text == "All"
    heads = browser.find_elements(By.CSS_SELECTOR, "#reports-preview thead th")
    census = next(h for h in heads if h.text == "Census (last day)")
    assert census.get_attribute("title").startswith("census_end: Clients enrolled")
    screenshot("reports-1366x768")
    _click(browser, "reports-download-btn")
    status = wait(browser, 90).until(
        lambda d: (
            "audit log" in d.find_element(By.ID, "reports-status").text
            and d.find_element(By.ID, "reports-status").text
        )
    )
    name = status.split("Downloaded ", 1)[1].split(" ", 1)[0]
    target = Path(tmp_path) / name
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.read_bytes().startswith(b"%PDF")
    # Client-level rows: k and the mode come alive, the preview shows pseudonymous rows.
    labels = browser.find_elements(By.CSS_SELECTOR, "#reports-level label")
    next(label for label in labels if label.text == "Client-level rows").click()
    wait(browser).until(lambda d: d.find_element(By.ID, "reports-k").is_enabled())
    _click(browser, "reports-preview-btn")
    wait(browser, 90).until(lambda d: "k reached" in d.find_element(By.ID, "reports-summary").text)
    header = browser.find_elements(By.CSS_SELECTOR, "#reports-preview thead th")
    assert [h.text for h in header[:2]] == ["Client (pseudonym)", "Program"]
    assert "Days since admission" in [h.text for h in header]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#reports-preview tbody tr")) == 10
    screenshot("reports-records-1366x768")


def test_supervisor_reports_on_a_phone(live_pipeline, phone, phone_screenshot):
    server, _world = live_pipeline
    _open_reports(phone, server.url)
    _preview(phone)
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    phone_screenshot("reports-390x844")
    assert SCREENSHOTS.joinpath("reports-390x844.png").stat().st_size > 10_000

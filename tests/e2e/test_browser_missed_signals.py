"""Missed check-ins and Sleep & stress in real Chromium, at 1366x768 and on a 390x844 phone:
the right client on top, a click opens them, no horizontal scroll of the page on the phone.
Screenshots are saved for people to look at."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import csp_violations, sign_in, wait


def _top_row(driver, grid: str):
    selector = f"#{grid} .ag-pinned-left-cols-container .ag-row[row-index='0']"
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))
    return driver.find_element(By.CSS_SELECTOR, selector)


def _no_page_scroll_sideways(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_missed_page(live_small, browser, phone, screenshot) -> None:
    server, world = live_small
    sign_in(browser, server.url, "kim")
    wait(browser).until(EC.presence_of_element_located((By.ID, "nav-user")))
    browser.find_element(By.LINK_TEXT, "Missed check-ins").click()
    wait(browser).until(lambda d: _top_row(d, "missed-grid").text.strip() == "Abel Ames")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "missed-card-streak3"), "1"))
    assert browser.find_element(By.ID, "missed-card-adh7").text == "88%"
    top = _top_row(browser, "missed-grid").location["y"]
    assert top < 768, "the top of the list is below the fold at 1366x768"
    wait(browser).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#missed-heatmap .heatmaplayer"))
    )
    screenshot("missed-1366x768")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    wait(browser).until(lambda d: d.execute_script("return window.scrollY") > 0)
    screenshot("missed-1366x768-lower")
    browser.execute_script("window.scrollTo(0, 0)")
    _top_row(browser, "missed-grid").find_element(By.CSS_SELECTOR, "a.client-link").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "client-name"), "Abel Ames"))
    assert "/client/SM-A" in browser.current_url
    assert csp_violations(browser) == []

    sign_in(phone, server.url, "kim")
    wait(phone).until(EC.presence_of_element_located((By.ID, "nav-user")))
    phone.get(f"{server.url}/missed")
    first = "#missed-phone-grid .ag-row[row-index='0']"
    wait(phone, 45).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, first), "Abel Ames"))
    assert (
        "Missed 3 in a row · checked in 89% of 28 days"
        in phone.find_element(By.CSS_SELECTOR, first).text
    )
    assert _no_page_scroll_sideways(phone)
    # Four clients: the card list is as tall as their cards, with no scrolling inside it.
    inner = phone.execute_script(
        "const v = document.querySelector('#missed-phone-grid .ag-body-viewport');"
        "return [v.scrollHeight, v.clientHeight];"
    )
    assert inner[0] <= inner[1], inner
    screenshot("missed-390x844", phone)
    # The phone's row logs a contact like the laptop's: the dialog names the client.
    phone.find_element(By.CSS_SELECTOR, f"{first} .action-contact").click()
    wait(phone).until(
        EC.text_to_be_present_in_element((By.ID, "missed-phone-contact-title"), "Abel Ames")
    )


def test_signals_page(live_small, browser, phone, screenshot) -> None:
    server, world = live_small
    sign_in(browser, server.url, "kim")
    wait(browser).until(EC.presence_of_element_located((By.ID, "nav-user")))
    browser.find_element(By.LINK_TEXT, "Sleep & stress").click()
    wait(browser).until(lambda d: _top_row(d, "signals-grid").text.strip() == "Dana Diaz")
    assert _top_row(browser, "signals-grid").location["y"] < 768
    sd = "#signals-grid .ag-center-cols-container .ag-row[row-index='0'] [col-id='stress_z']"
    assert browser.find_element(By.CSS_SELECTOR, sd).text == "+6.0"
    wait(browser).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#signals-scatter .scatterlayer .point"))
    )
    screenshot("signals-1366x768")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    wait(browser).until(lambda d: d.execute_script("return window.scrollY") > 0)
    screenshot("signals-1366x768-lower")
    link = _top_row(browser, "signals-grid").find_element(By.CSS_SELECTOR, "a.client-link")
    browser.execute_script("window.scrollTo(0, 0)")
    wait(browser).until(lambda d: d.execute_script("return window.scrollY") == 0)
    link.click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "client-name"), "Dana Diaz"))
    assert csp_violations(browser) == []

    sign_in(phone, server.url, "kim")
    wait(phone).until(EC.presence_of_element_located((By.ID, "nav-user")))
    phone.get(f"{server.url}/signals")
    first = "#signals-list .phone-row a"
    wait(phone, 45).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, first), "Dana Diaz"))
    assert _no_page_scroll_sideways(phone)
    screenshot("signals-390x844", phone)

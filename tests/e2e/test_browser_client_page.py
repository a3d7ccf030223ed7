"""The client page in a real browser: one chart drawn, a PHI-free title, and on a phone
(390x844) every header fact and the chart on screen with no horizontal scroll."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import sign_in, wait

NO_SIDEWAYS = "return document.documentElement.scrollWidth <= window.innerWidth"


def _open_client(driver, base: str, client_id: str, name: str) -> None:
    driver.get(f"{base}/client/{client_id}")
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "client-name"), name))
    wait(driver).until(
        lambda d: d.execute_script(
            "const g = document.querySelector('#client-chart .js-plotly-plot');"
            "return !!(g && g._fullData && g._fullData.length)"
        )
    )


def test_client_page_is_one_chart_and_its_title_names_no_one(live, browser, screenshot) -> None:
    server, world = live
    sign_in(browser, server.url, "ana")
    wait(browser).until(EC.presence_of_element_located((By.ID, "nav-user")))
    _open_client(browser, server.url, "C-0001", world.names["C-0001"])
    # The record is one figure; the Brief Addiction Monitor has its own panel below it.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#client-charts .js-plotly-plot")) == 1
    assert browser.title == "Client · Caseload"
    for name in world.names.values():
        assert name not in browser.title
    assert browser.execute_script(NO_SIDEWAYS)
    screenshot("client-1366x768")
    # The whole record at laptop width: the calendar's last labels, the triggers, the signals.
    size = browser.get_window_size()
    browser.set_window_size(1366, 2200)
    try:
        screenshot("client-1366-whole-record")
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_client_page_on_a_phone(live, phone, phone_screenshot) -> None:
    server, world = live
    sign_in(phone, server.url, "ana")
    wait(phone).until(EC.presence_of_element_located((By.ID, "nav-user")))
    _open_client(phone, server.url, "C-0001", world.names["C-0001"])
    assert phone.execute_script("return window.innerWidth") == 390
    facts = phone.find_elements(By.CSS_SELECTOR, ".header-facts dt")
    assert [f.text for f in facts][-1].lower() == "check-ins"
    right = phone.execute_script(
        "return Math.max(...[...document.querySelectorAll('.header-facts dd, .header-facts dt')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 390
    chart = phone.find_element(By.CSS_SELECTOR, "#client-chart .main-svg")
    assert chart.size["width"] <= 390
    assert phone.execute_script(NO_SIDEWAYS)
    phone_screenshot("client-390x844")
    phone.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    phone_screenshot("client-390x844-lower")
    assert phone.execute_script(NO_SIDEWAYS)


def test_log_a_contact_from_the_client_page(live, browser, screenshot) -> None:
    server, world = live
    sign_in(browser, server.url, "ana")
    wait(browser).until(EC.presence_of_element_located((By.ID, "nav-user")))
    client_id = world.caseloads["S-C1"][2]
    _open_client(browser, server.url, client_id, world.names[client_id])
    rows_before = len(browser.find_elements(By.CSS_SELECTOR, "#client-followups-table tbody tr"))
    browser.find_element(By.ID, "client-contact-open").click()
    wait(browser).until(EC.visibility_of_element_located((By.ID, "client-contact-note")))
    assert world.names[client_id] in browser.find_element(By.ID, "client-contact-title").text
    save = browser.find_element(By.ID, "client-contact-save")
    assert not save.is_enabled()  # no outcome is chosen for the counselor
    outcome = browser.find_element(By.ID, "client-contact-outcome")
    outcome.find_element(By.XPATH, ".//label[normalize-space()='No answer']").click()
    wait(browser).until(lambda d: save.is_enabled())
    save.click()
    wait(browser).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#client-followups-table tbody tr"))
            == rows_before + 1
        )
    )
    first = browser.find_element(By.CSS_SELECTOR, "#client-followups-table tbody tr").text
    assert "no answer" in first and "Ana Ruiz" in first  # staff by name, not username
    screenshot("client-after-contact")

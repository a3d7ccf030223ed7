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
    assert len(browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")) == 1
    assert browser.title == "Client · Caseload"
    for name in world.names.values():
        assert name not in browser.title
    assert browser.execute_script(NO_SIDEWAYS)


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

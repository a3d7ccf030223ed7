"""A counselor's morning in a real browser: sign in, see the ranked list, open a client, log a
contact and see it on the row, sign out and be unable to go back. Screenshots of both pages
are saved for people to look at."""

from __future__ import annotations

from factories import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20


def wait(driver, timeout: int = WAIT) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def sign_in(driver, base: str, username: str, password: str = PASSWORD) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()


def grid_rows(driver, count: int) -> list:
    selector = ".today-grid .ag-center-cols-container .ag-row"
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, selector)) == count)
    rows = driver.find_elements(By.CSS_SELECTOR, selector)
    return sorted(rows, key=lambda r: int(r.get_attribute("row-index")))


def cell(driver, row_id: str, col: str):
    return driver.find_element(
        By.CSS_SELECTOR, f'.ag-row[row-id="{row_id}"] .ag-cell[col-id="{col}"]'
    )


def csp_violations(driver) -> list[str]:
    return [
        e["message"]
        for e in driver.get_log("browser")
        if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
    ]


def test_counselor_morning(live, browser, screenshot) -> None:
    server, world = live
    base = server.url
    sign_in(browser, base, "ana")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "nav-user"), "Ana Ruiz"))
    assert browser.find_element(By.ID, "nav-role").text == "Counselor"

    caseload = world.caseloads["S-C1"]
    rows = grid_rows(browser, len(caseload))
    # Pinned columns render in their own containers; read names from the left-pinned one.
    wait(browser).until(lambda d: cell(d, "C-0002", "name").text == world.names["C-0002"])
    first_left = browser.find_element(
        By.CSS_SELECTOR, '.ag-pinned-left-cols-container .ag-row[row-index="0"]'
    )
    assert first_left.get_attribute("row-id") == "C-0002"  # newly high ranks first
    assert "NEW" in cell(browser, "C-0002", "tier_rank").text
    badges = browser.find_elements(By.CSS_SELECTOR, ".today-grid .badge-new")
    assert browser.find_element(By.ID, "today-card-newly_high").text == str(len(badges))
    assert cell(browser, "C-0001", "followup_order").text == "Due today"
    assert rows and browser.find_elements(By.CSS_SELECTOR, ".ag-cell svg.sparkline")
    screenshot("today")
    line = lambda d: d.find_element(By.ID, "shell-freshness-line").text  # noqa: E731
    wait(browser).until(lambda d: line(d).startswith("Data: "))
    shown = line(browser)
    # Count the header's requests from here on: a navigation within minutes sends none.
    browser.execute_script(
        "window.__freshness = 0; const send = window.fetch;"
        "window.fetch = function (url, options) {"
        "  if (options && String(options.body).includes('shell-freshness-line')) {"
        "    window.__freshness += 1; }"
        "  return send.apply(this, arguments); };"
    )

    # Open a client from the list.
    cell(browser, "C-0001", "name").find_element(By.TAG_NAME, "a").click()
    wait(browser).until(
        EC.text_to_be_present_in_element((By.ID, "client-name"), world.names["C-0001"])
    )
    wait(browser).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#client-chart .main-svg")) > 0
    )
    wait(browser).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#client-chart .heatmaplayer")) > 0
    )
    assert "/client/C-0001" in browser.current_url
    assert "Eastside Outpatient" in browser.find_element(By.ID, "client-header").text
    assert browser.execute_script("return window.__freshness") == 0 and line(browser) == shown
    screenshot("client")
    browser.execute_script(
        "window.scrollTo(0, document.querySelector('#client-chart').offsetTop + 700)"
    )
    screenshot("client-middle")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    wait(browser).until(lambda d: d.execute_script("return window.scrollY") > 0)
    screenshot("client-lower")

    # Back to Today and log a contact on that row.
    browser.find_element(By.LINK_TEXT, "Today").click()
    grid_rows(browser, len(caseload))
    wait(browser).until(lambda d: cell(d, "C-0001", "followup_order").text == "Due today")
    cell(browser, "C-0001", "actions").find_element(By.CSS_SELECTOR, ".action-contact").click()
    wait(browser).until(EC.visibility_of_element_located((By.ID, "today-contact-note")))
    assert world.names["C-0001"] in browser.find_element(By.ID, "today-contact-title").text
    method = browser.find_element(By.ID, "today-contact-method")
    method.find_element(By.XPATH, ".//label[normalize-space()='In person']").click()
    save = browser.find_element(By.ID, "today-contact-save")
    assert not save.is_enabled()  # no outcome chosen yet
    assert "Answers the flag of" in browser.find_element(By.ID, "today-contact-flag").text
    outcome = browser.find_element(By.ID, "today-contact-outcome")
    outcome.find_element(By.XPATH, ".//label[normalize-space()='Left a message']").click()
    wait(browser).until(lambda d: save.is_enabled())
    browser.find_element(By.ID, "today-contact-note").send_keys("Planned a visit on Monday.")
    screenshot("today-contact")
    save.click()
    wait(browser).until(lambda d: cell(d, "C-0001", "followup_order").text.startswith("Contacted"))
    assert cell(browser, "C-0001", "followup_order").text.endswith("· in person · left message")
    screenshot("today-after-contact")
    assert csp_violations(browser) == []


def test_sign_out_and_no_way_back(live, browser) -> None:
    server, world = live
    sign_in(browser, server.url, "ben")
    grid_rows(browser, len(world.caseloads["S-C2"]))
    browser.find_element(By.ID, "nav-logout").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    browser.back()
    wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    browser.get(f"{server.url}/client/C-0009")
    wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    assert "/login" in browser.current_url
    assert world.names["C-0009"] not in browser.page_source


def test_wrong_password_is_a_generic_refusal(live, browser) -> None:
    server, _ = live
    sign_in(browser, server.url, "ana", "not-the-password")
    message = wait(browser).until(EC.visibility_of_element_located((By.ID, "login-error")))
    assert message.text.startswith("Sign-in failed.")


def test_supervisor_picks_a_counselor(live, browser, screenshot) -> None:
    server, world = live
    sign_in(browser, server.url, "carla")
    # A supervisor starts on the first counselor of the program by last name (Okafor).
    grid_rows(browser, len(world.caseloads["S-C2"]))
    picker = wait(browser).until(EC.element_to_be_clickable((By.ID, "today-counselor")))
    assert "Ben Okafor" in picker.text
    picker.click()
    options = browser.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
    assert sorted(o.text for o in options) == ["Ana Ruiz", "Ben Okafor"]
    next(o for o in options if o.text == "Ana Ruiz").click()
    rows = grid_rows(browser, len(world.caseloads["S-C1"]))
    assert {r.get_attribute("row-id") for r in rows} == set(world.caseloads["S-C1"])
    screenshot("today-supervisor")

"""Previous / next client in Today's order, in Chromium: Today hands its order (ids only) to
the shell, the client page links to the neighbours, and an order the browser forged gives no
links at all (the links' pages re-check the scope anyway)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import grid_rows, sign_in, wait

STEPS = "return window.dash_clientside.caseload.todaySteps(arguments[0], arguments[1]);"
NONE = [None, True, None, True, ""]


def _href(driver, button: str) -> str | None:
    element = driver.find_element(By.ID, button)
    return element.get_attribute("href") if element.tag_name == "a" else None


def test_today_hands_its_order_to_the_client_page(live, browser) -> None:
    server, world = live
    sign_in(browser, server.url, "ana")
    rows = grid_rows(browser, len(world.caseloads["S-C1"]))
    order = [r.get_attribute("row-id") for r in rows]
    assert sorted(order) == sorted(world.caseloads["S-C1"]) and len(order) >= 3
    link = f'.ag-pinned-left-cols-container .ag-row[row-id="{order[1]}"] a.client-link'
    browser.find_element(By.CSS_SELECTOR, link).click()  # in-app: the tab keeps the order
    position = (By.ID, "client-position")
    wait(browser).until(EC.text_to_be_present_in_element(position, f"2 of {len(order)} on Today"))
    assert _href(browser, "client-prev") == f"{server.url}/client/{order[0]}"
    assert _href(browser, "client-next") == f"{server.url}/client/{order[2]}"

    browser.find_element(By.ID, "client-next").click()
    wait(browser).until(EC.text_to_be_present_in_element(position, f"3 of {len(order)} on Today"))
    assert browser.current_url.endswith(f"/client/{order[2]}")
    name = world.names[order[2]]
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "client-name"), name))

    # Opened from an address, not from Today: the tab holds no order, so no steps.
    browser.get(f"{server.url}/client/{order[0]}")
    wait(browser).until(
        EC.text_to_be_present_in_element((By.ID, "client-name"), world.names[order[0]])
    )
    assert browser.find_element(By.ID, "client-position").text == ""
    assert not browser.find_element(By.ID, "client-next").is_enabled()


CASES = [
    ("C-2", ["C-1", "C-2", "C-3"], ["/client/C-1", False, "/client/C-3", False, "2 of 3 on Today"]),
    ("C-1", ["C-1", "C-2"], [None, True, "/client/C-2", False, "1 of 2 on Today"]),
    ("C-2", ["C-1", "C-2"], ["/client/C-1", False, None, True, "2 of 2 on Today"]),
    ("C-1", ["C-1", "../admin"], [None, True, "/client/..%2Fadmin", False, "1 of 2 on Today"]),
    ("C-9", ["C-1", "C-2"], NONE),  # not in the order
    ("C-1", {"a": 1}, NONE),
    ("C-1", [1, 2, 3], NONE),
    ("C-1", ["C-1", None], NONE),
    ("C-1", ["C-1", "x" * 65], NONE),
    ("C-1", ["C-1", "bad\nid"], NONE),
    ("C-1", ["C-1"] + ["x"] * 2000, NONE),  # longer than any caseload
    ("C-1", "C-1", NONE),
    ("C-1", None, NONE),
    (None, ["C-1"], NONE),
]


def test_a_forged_order_gives_no_links(live, browser) -> None:
    server, _world = live
    sign_in(browser, server.url, "ana")
    wait(browser).until(
        lambda d: d.execute_script("return !!(window.dash_clientside || {}).caseload")
    )
    for client_id, order, expected in CASES:
        got = browser.execute_script(STEPS, client_id, order)
        assert got == expected, (client_id, str(order)[:40])

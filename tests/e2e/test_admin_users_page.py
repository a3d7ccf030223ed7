"""/admin/users and /account in a real browser, on a desktop (1366x768) and a phone (390x844,
ChromeDriver mobile emulation): an admin adds a login and gets its temporary password, disables
and re-enables a login through the confirm dialog; the new user signs in, is kept on /account
until choosing a password, then lands on Today. Screenshots are saved for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CHROMEDRIVER, CHROMIUM, LiveServer
from dash_client import app_config
from factories import add_user
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import select
from test_admin_pages import _shot, device  # noqa: F401, F811  (the desktop and phone fixture)
from test_dashboard import sign_in, wait

from dashboard import create_app
from etl.db import make_engine
from etl.ingest.pipeline import ingest_paths
from etl.models import AppUser, Base

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"
# The username column is pinned: its cells live in the grid's left container.
PINNED = '#users-grid .ag-pinned-left-cols-container .ag-row[row-id="{}"]'


@pytest.fixture(scope="module")
def users_live(fresh_database):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium and chromium-driver are not installed")
    url = fresh_database("sqlite")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    ingest_paths(engine, [FIXTURES / n for n in ("programs.csv", "staff.csv", "clients.csv")])
    add_user(engine, "root", "admin", program_id="P1")
    add_user(engine, "dana", "counselor", staff_id="S1")
    app = create_app(app_config(url))
    with LiveServer(app) as server:
        yield server, engine
    engine.dispose()


def _pick(driver, dropdown_id: str, text: str) -> None:
    trigger = wait(driver).until(EC.element_to_be_clickable((By.ID, dropdown_id)))
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", trigger
    )
    driver.execute_script("arguments[0].click();", trigger)
    option = wait(driver).until(
        lambda d: next(
            (
                o
                for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                if text in o.text
            ),
            None,
        )
    )
    option.click()
    # Close the menu if it stays open: it would cover the field below it.
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"))


def _row(driver, username: str):
    return wait(driver).until(
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, PINNED.format(username))), None)
    )


def _select(driver, username: str) -> None:
    # The list is at the top of the page (Bootstrap scrolls smoothly unless told otherwise).
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")
    _row(driver, username).find_element(By.CSS_SELECTOR, '.ag-cell[col-id="username"]').click()


def _result(driver, words: str) -> str:
    wait(driver).until(lambda d: words in d.find_element(By.ID, "users-result").text)
    return driver.find_element(By.ID, "users-result").text


def _click(driver, element_id: str) -> None:
    element = wait(driver).until(EC.element_to_be_clickable((By.ID, element_id)))
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element
    )
    element.click()


def test_admin_manages_a_login_and_the_user_changes_the_password(users_live, device) -> None:  # noqa: F811
    server, engine = users_live
    kind, driver = device
    newbie = f"newbie.{kind}"
    sign_in(driver, server.url, "root")
    wait(driver).until(lambda d: d.find_elements(By.ID, "nav-user"))
    driver.get(f"{server.url}/admin")
    wait(driver).until(lambda d: d.find_elements(By.LINK_TEXT, "Open Users and roles"))
    driver.find_element(By.LINK_TEXT, "Open Users and roles").click()
    _row(driver, "dana")
    assert driver.title == "Users · Caseload"

    # Add a counselor: a temporary password, shown once.
    driver.find_element(By.ID, "users-add-username").send_keys(newbie)
    _pick(driver, "users-add-role", "Counselor")
    _pick(driver, "users-add-staff", "Dana Reyes")
    _click(driver, "users-add")
    _result(driver, "Temporary password")
    temporary = driver.find_element(By.ID, "users-temporary").text
    assert len(temporary) == 19
    _row(driver, newbie)

    # Disable dana through the confirm dialog, then enable again.
    _select(driver, "dana")
    wait(driver).until(lambda d: "dana · counselor" in d.find_element(By.ID, "users-selected").text)
    _click(driver, "users-toggle")
    wait(driver).until(EC.alert_is_present())
    alert = driver.switch_to.alert
    assert "Disable dana?" in alert.text
    alert.accept()
    _result(driver, "dana is disabled")
    wait(driver).until(lambda d: "Disabled" in d.find_element(By.ID, "users-selected").text)
    _click(driver, "users-toggle")
    _result(driver, "dana is enabled again")
    with engine.connect() as conn:
        assert conn.execute(select(AppUser.is_active).where(AppUser.username == "dana")).scalar()
    # The last admin cannot be disabled: the command's message is shown.
    _select(driver, "root")
    wait(driver).until(lambda d: "root · admin" in d.find_element(By.ID, "users-selected").text)
    _click(driver, "users-toggle")
    wait(driver).until(EC.alert_is_present())
    driver.switch_to.alert.accept()
    assert "last active administrator" in _result(driver, "Cannot remove")
    _select(driver, newbie)
    wait(driver).until(lambda d: newbie in d.find_element(By.ID, "users-selected").text)
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")
    _shot(driver, f"admin-users-{kind}")

    # The new user is kept on /account until choosing a password.
    _click(driver, "nav-logout")
    wait(driver).until(lambda d: d.find_elements(By.ID, "login-submit"))
    sign_in(driver, server.url, newbie, temporary)
    wait(driver).until(lambda d: d.find_elements(By.ID, "account-page"))
    assert driver.current_url.endswith("/account")
    assert "reset by an administrator" in driver.find_element(By.ID, "account-intro").text
    driver.get(f"{server.url}/")
    wait(driver).until(lambda d: d.find_elements(By.ID, "account-page"))
    assert driver.current_url.endswith("/account")
    driver.find_element(By.ID, "account-current").send_keys(temporary)
    driver.find_element(By.ID, "account-new").send_keys("qwerty123456")
    driver.find_element(By.ID, "account-repeat").send_keys("qwerty123456")
    _click(driver, "account-save")
    wait(driver).until(lambda d: "breached" in d.find_element(By.ID, "account-result").text)
    _shot(driver, f"account-{kind}")
    for field in ("account-current", "account-new", "account-repeat"):
        driver.find_element(By.ID, field).clear()
    driver.find_element(By.ID, "account-current").send_keys(temporary)
    driver.find_element(By.ID, "account-new").send_keys("my own long phrase")
    driver.find_element(By.ID, "account-repeat").send_keys("my own long phrase")
    _click(driver, "account-save")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".today-grid"))
    assert not driver.current_url.endswith("/account")
    with engine.connect() as conn:
        assert not conn.execute(
            select(AppUser.must_change_password).where(AppUser.username == newbie)
        ).scalar()

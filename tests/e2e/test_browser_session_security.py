"""Long-open tabs in a real browser: a session that ended server-side sends the next click to
the sign-in page with a notice (not a frozen screen), and a sign-out button whose token has
expired still signs out, through a fresh button."""

from __future__ import annotations

import base64
import json
import time
import zlib

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import update
from test_dashboard import cell, grid_rows, sign_in, wait

from etl.models import AppUser


def _app(server):
    return server.server.app


def _session(browser) -> dict:
    value = browser.get_cookie("caseload_session")["value"]
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if value.startswith(".") else raw)


def test_a_session_ended_elsewhere_lands_on_the_sign_in_page(live, browser) -> None:
    server, world = live
    sign_in(browser, server.url, "dev")
    grid_rows(browser, len(world.caseloads["S-C3"]))
    client_id = world.caseloads["S-C3"][0]
    # Signed out everywhere (another tab, an administrator): the epoch moves on.
    with _app(server).extensions["caseload_db"].begin() as conn:
        conn.execute(
            update(AppUser)
            .where(AppUser.username == "dev")
            .values(session_epoch=AppUser.session_epoch + 1)
        )
    cell(browser, client_id, "name").find_element(By.TAG_NAME, "a").click()
    wait(browser).until(EC.url_contains("/login?expired=1"))
    notice = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".alert-info")))
    assert "Your session ended" in notice.text
    assert world.names[client_id] not in browser.page_source


def test_an_expired_sign_out_button_still_signs_out(live, browser) -> None:
    server, world = live
    sign_in(browser, server.url, "erin")
    grid_rows(browser, len(world.caseloads["S-C3"]))

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 3600

    stale = URLSafeTimedSerializer(
        _app(server).config["SECRET_KEY"], salt="wtf-csrf-token", signer=TwoHoursAgo
    ).dumps(_session(browser)["csrf_token"])
    browser.execute_script(
        "document.querySelector('input[name=csrf_token]').value = arguments[0];", stale
    )
    browser.find_element(By.ID, "nav-logout").click()
    confirm = wait(browser).until(EC.element_to_be_clickable((By.ID, "logout-confirm")))
    confirm.click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    browser.get(f"{server.url}/")
    wait(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    assert "/login" in browser.current_url

"""The demo counselor's morning on a warehouse filled by the real pipeline (synth -> ingest ->
risk refresh, scored at 09:30 while today's check-ins are still coming in): the first row of
the ranked list is the caseload's highest-priority client by the warehouse, and the cards
and the as-of line say what the warehouse says."""

from __future__ import annotations

import datetime as dt

from dash_pipeline import PASSWORDS, count_days, count_scores, top_priority
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_dashboard import sign_in, wait

from etl.models import FctClientDay, FctRiskScore


def test_first_row_is_the_warehouse_top_priority(live_pipeline, browser, screenshot) -> None:
    server, world = live_pipeline
    today, key = world.today, world.counselor_key
    sign_in(browser, server.url, "demo.counselor", PASSWORDS["demo.counselor"])
    # The grid renders only the rows in view: wait for the data, then read the first row.
    wait(browser).until(lambda d: d.find_element(By.ID, "today-card-high").text != "–")
    first = wait(browser).until(
        EC.presence_of_element_located(
            (By.CSS_SELECTOR, '.ag-pinned-left-cols-container .ag-row[row-index="0"]')
        )
    )
    assert first.get_attribute("row-id") in top_priority(world.engine, key, today)

    high = count_scores(world.engine, key, today, FctRiskScore.tier.in_(("high", "critical")))
    missed = count_days(
        world.engine, key, today, today - dt.timedelta(days=1), FctClientDay.is_missed.is_(True)
    )
    assert browser.find_element(By.ID, "today-card-high").text == str(high)
    assert browser.find_element(By.ID, "today-card-missed").text == str(missed)
    assert browser.find_element(By.ID, "today-asof").text.startswith(
        "Scores for today, Friday Nov 27 · scored 9:30 AM"
    )
    screenshot("today-pipeline")

    # The top client's record: the stored reasons under the header, the charts drawn.
    first.find_element(By.TAG_NAME, "a").click()
    reasons = wait(browser).until(EC.visibility_of_element_located((By.ID, "client-reasons")))
    assert reasons.find_elements(By.TAG_NAME, "li")
    wait(browser).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#client-chart .main-svg")) > 0
    )
    screenshot("client-pipeline")

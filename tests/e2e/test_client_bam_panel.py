"""The client page's BAM panel in Chromium, on a warehouse filled by the real pipeline."""

from __future__ import annotations

from dash_pipeline import PASSWORDS
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import func, select
from test_dashboard import sign_in, wait

from etl.models import DimClient, FctBam


def test_bam_panel_draws_the_three_scales(live_pipeline, browser, screenshot) -> None:
    server, world = live_pipeline
    with world.engine.connect() as conn:
        client_id, forms = conn.execute(
            select(DimClient.client_id, func.count(FctBam.bam_key))
            .join(FctBam, FctBam.client_key == DimClient.client_key)
            .where(DimClient.counselor_key == world.counselor_key)
            .group_by(DimClient.client_id)
            .order_by(func.count(FctBam.bam_key).desc(), DimClient.client_id)
            .limit(1)
        ).one()
    assert forms >= 2
    sign_in(browser, server.url, "demo.counselor", PASSWORDS["demo.counselor"])
    # Signed in before leaving: a navigation started while the sign-in POST is still in flight
    # cancels it, and the client page then answers with the sign-in form.
    wait(browser).until(EC.presence_of_element_located((By.ID, "nav-user")))
    browser.get(f"{server.url}/client/{client_id}")
    lines = wait(browser).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#client-bam-chart .scatterlayer .trace")
    )
    assert len(lines) == 3
    titles = [
        t.text for t in browser.find_elements(By.CSS_SELECTOR, "#client-bam-chart .annotation-text")
    ]
    assert titles == [
        "Use (flag at 1 or more)",
        "Risk factors (flag at 12 or more)",
        "Protective factors (flag at 12 or less)",
    ]
    # A window tall enough to show the panel: an element screenshot (scroll and crop) timed
    # out in the renderer on a loaded machine, a plain one does not.
    browser.set_window_size(1366, 1900)
    screenshot("client-bam")

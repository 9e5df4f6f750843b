"""The alert inbox in a real headless Chromium (see ``tests/api/browser.py``).

A supervisor signs in, filters the inbox, opens an alert, dismisses it with a reason and
finds the dismissal in the alert's audit trail, then opens the targets board; screenshots
at 1366×768 and on a 390-wide phone.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from api.db import Alert
from tests.api.browser import needs_chromium, screenshot, sign_in_page
from tests.api.test_console_alerts import seed

pytestmark = needs_chromium


@pytest.fixture
def seeded(served, api_keys):
    """The served app with 200 alerts over 60 series."""
    base, app = served
    with httpx.Client(base_url=base) as client:
        seed(app, client, api_keys["scoring_core"], alerts=200, series=60)
    return served


def test_a_supervisor_filters_opens_and_dismisses_an_alert(seeded, page):
    base, app = seeded
    sign_in_page(page, base, "sam", "/console/alerts")
    screenshot(page, "console-alerts")
    screenshot(page, "console-alerts", phone=True)
    page.select_option("select[name=indicator]", "on_time_completion_rate")
    page.select_option("select[name=status]", "open")
    page.click("#alerts-filter button[type=submit]")
    page.wait_for_url(f"{base}/console/alerts?indicator=on_time_completion_rate&status=open")  # empty fields left out
    page.click("#alerts-table tbody tr:first-child td:first-child a")
    page.wait_for_url("**/console/alerts/*")
    alert_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator(".svg-wrap img.chart").evaluate("img => img.complete && img.naturalWidth") > 500
    assert page.locator("#peers tbody tr").count() >= 2
    page.fill("textarea[name=reason]", "春节假期，办件量正常回落")
    page.click("button[name=status][value=dismissed]")
    page.wait_for_url(f"**/console/alerts/{alert_id}?saved=dismissed")
    trail = page.locator("#alert-audit").inner_text()
    assert "sam" in trail and "春节假期，办件量正常回落" in trail
    screenshot(page, "console-alert")
    with app.state.session_factory() as session:
        assert session.execute(select(Alert.status).where(Alert.id == alert_id)).scalar_one() == "dismissed"
    page.goto(f"{base}/console/targets")
    assert page.locator("#targets-table .rag-red").count() >= 1
    screenshot(page, "console-targets")
    page.click("#targets-table tbody tr:first-child td:first-child a")
    assert page.locator(".svg-wrap img.chart").evaluate("img => img.complete && img.naturalWidth") > 500
    screenshot(page, "console-target")

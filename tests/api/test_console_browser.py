"""The console in a real headless Chromium (see ``tests/api/browser.py``).

A handler signs in, corrects a message's area with the keyboard alone, and the
correction is stored; screenshots at 1366×768 and on a 390-wide phone.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from api.db import AuditEntry, FeedbackCorrection
from tests.api.browser import needs_chromium, screenshot
from tests.api.console_calls import PASSWORD, make_user

pytestmark = needs_chromium


def _seed(base: str, app, api_key: str) -> None:
    make_user(app, "hana", "handler")
    messages = [
        {"message_id": "m-1", "text": "小区门口的路灯坏了两个月，打电话13812345678也没人管"},
        {"message_id": "m-2", "text": "<script>alert('x')</script> 医院挂号太难"},
        {"message_id": "m-3", "text": "公交车太挤了"},
    ]
    response = httpx.post(f"{base}/v1/feedback/classify", json={"messages": messages}, headers={"X-API-Key": api_key})
    assert response.status_code == 200, response.text


def test_a_handler_corrects_a_tag_with_the_keyboard(served, api_keys, page):
    base, app = served
    _seed(base, app, api_keys["handler"])
    page.goto(f"{base}/console/review")  # signed out: sent to sign in, then back
    screenshot(page, "console-login")
    page.fill("input[name=username]", "hana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/review")
    assert page.locator("#message-text").inner_text().startswith("小区门口")  # lowest id of equal confidence
    assert "13812345678" not in page.content()
    screenshot(page, "console-review")
    page.keyboard.press("1")  # urban_construction
    page.keyboard.press("a")  # toggles timeliness (suggested: on) off
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/review?saved=corrected*")
    assert "<script>" in page.locator("#message-text").inner_text()  # shown as text, never run
    screenshot(page, "console-review", phone=True)
    with app.state.session_factory() as session:
        correction = session.execute(select(FeedbackCorrection)).scalar_one()
        assert (correction.message_id, correction.area, correction.dimensions) == ("m-1", "urban_construction", [])
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "feedback.correct")).scalar_one()
        assert entry.username == "hana"

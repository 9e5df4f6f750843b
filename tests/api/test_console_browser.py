"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

A handler signs in, corrects a message's area with the keyboard alone, and the
correction is stored. Screenshots (1366×768 office screen, 390-wide phone) go to
``tests/artifacts/`` (git-ignored). Skipped when chromium or Playwright is missing:
``scripts/bootstrap.sh dev`` installs chromium (as root) from apt, never from a CDN.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from api.db import AuditEntry, FeedbackCorrection
from api.main import create_app
from tests.api.conftest import fake_models
from tests.api.console_calls import PASSWORD, fast_hashing, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(settings, api_keys, monkeypatch):
    """The app under uvicorn on a free 127.0.0.1 port (in a thread); yields (base url, app)."""
    fast_hashing(monkeypatch)
    app = create_app(settings, models=fake_models())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.config.port}"
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _seed(base: str, app, api_key: str) -> None:
    make_user(app, "hana", "handler")
    messages = [
        {"message_id": "m-1", "text": "小区门口的路灯坏了两个月，打电话13812345678也没人管"},
        {"message_id": "m-2", "text": "<script>alert('x')</script> 医院挂号太难"},
        {"message_id": "m-3", "text": "公交车太挤了"},
    ]
    response = httpx.post(f"{base}/v1/feedback/classify", json={"messages": messages}, headers={"X-API-Key": api_key})
    assert response.status_code == 200, response.text


def test_a_handler_corrects_a_tag_with_the_keyboard(served, api_keys):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)")
    base, app = served
    _seed(base, app, api_keys["handler"])
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{base}/console/review")  # signed out: sent to sign in, then back
            page.screenshot(path=str(ARTIFACTS / "console-login-1366.png"))
            page.fill("input[name=username]", "hana")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/console/review")
            assert page.locator("#message-text").inner_text().startswith("小区门口")  # lowest id of equal confidence
            assert "13812345678" not in page.content()
            page.screenshot(path=str(ARTIFACTS / "console-review-1366.png"), full_page=True)
            page.keyboard.press("1")  # urban_construction
            page.keyboard.press("a")  # toggles timeliness (suggested: on) off
            page.keyboard.press("Enter")
            page.wait_for_url("**/console/review?saved=corrected*")
            assert "<script>" in page.locator("#message-text").inner_text()  # shown as text, never run
            assert dialogs == []
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(ARTIFACTS / "console-review-390.png"), full_page=True)
        finally:
            browser.close()
    with app.state.session_factory() as session:
        correction = session.execute(select(FeedbackCorrection)).scalar_one()
        assert (correction.message_id, correction.area, correction.dimensions) == ("m-1", "urban_construction", [])
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "feedback.correct")).scalar_one()
        assert entry.username == "hana"

"""A real headless Chromium for the console tests (Debian's ``chromium``, driven by Playwright).

``served`` runs the app (fake models) under uvicorn on a free port; ``browser`` is one Chromium for the
whole session (starting one costs ~1 s); ``page`` is a fresh context at 1366×768 that
fails the test on any JavaScript dialog or page error. Screenshots go to ``ARTIFACTS``
(``tests/artifacts/``, git-ignored). Skipped when chromium or Playwright is missing:
``scripts/bootstrap.sh dev`` installs chromium (as root) from apt, never from a CDN.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from tests.api.console_calls import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: screenshots; GOVPERF_TEST_ARTIFACTS moves them (scripts/test.sh: the PostgreSQL pass, run alongside)
ARTIFACTS = Path(os.environ.get("GOVPERF_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app):
    """Start ``app`` under uvicorn in a thread; returns (base url, stop function)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.config.port}", stop


@pytest.fixture
def served(settings, api_keys, monkeypatch):
    """The app with the fake models under uvicorn on a free 127.0.0.1 port; yields (base url, app)."""
    from api.main import create_app
    from tests.api.conftest import fake_models
    from tests.api.console_calls import fast_hashing

    fast_hashing(monkeypatch)
    app = create_app(settings, models=fake_models())
    base, stop = serve(app)
    try:
        yield base, app
    finally:
        stop()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A new browser context at 1366×768; JavaScript dialogs and page errors fail the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    problems: list[str] = []
    tab = context.new_page()
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    tab.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield tab
    finally:
        context.close()
    assert problems == [], problems


def sign_in_page(page, base: str, username: str, next_path: str = "/console/", password: str = PASSWORD) -> None:
    """Sign in through the form and land on ``next_path``."""
    page.goto(f"{base}/console/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def screenshot(page, name: str, *, phone: bool = False) -> Path:
    """Save the whole page as ``tests/artifacts/<name>-1366.png`` (or ``-390.png`` on a phone width)."""
    if phone:
        page.set_viewport_size({"width": 390, "height": 844})
    path = ARTIFACTS / f"{name}-{390 if phone else 1366}.png"
    page.screenshot(path=str(path), full_page=True)
    if phone:
        page.set_viewport_size({"width": 1366, "height": 768})
    return path

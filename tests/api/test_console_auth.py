"""The web console: sign-in, sessions, CSRF, roles, the review queue and the audit trail."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import api.console
from api.console.i18n import LANGS, MESSAGES
from api.db import CONSOLE_ROLES, AuditEntry, ConsoleSession, FeedbackCorrection, FeedbackMessage, User
from api.services.corrections import corrections_frame
from tests.api.console_calls import PASSWORD, classify, csrf_of, fast_hashing, make_user, sign_in


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def console(make_client, settings):
    """A client whose app throttles sign-in after 5 failures by 0.3 s (fast to test)."""
    client = make_client(app_settings=settings.model_copy(update={"console_lockout_delay_s": 0.3}))
    make_user(client.app, "hana", "handler")
    make_user(client.app, "sam", "supervisor")
    return client


def test_every_label_has_chinese_and_english():
    assert all(set(texts) == set(LANGS) and all(texts.values()) for texts in MESSAGES.values())
    used = set()
    for template in (Path(api.console.__file__).parent / "templates").glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_0-9]+)'\s*[,)]", template.read_text(encoding="utf-8")))
    used |= {f"role_{role}" for role in CONSOLE_ROLES} | {"saved_confirmed", "saved_corrected"}  # built keys
    assert used and used <= set(MESSAGES)


def test_sign_in_sets_a_hardened_cookie_and_opens_the_landing_page(console):
    response = sign_in(console, "hana")
    assert response.status_code == 303 and response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"]
    assert "govperf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # console_cookie_secure is off by default
    home = console.get("/console/")
    assert home.status_code == 200 and "hana" in home.text and 'href="/console/review"' in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert "http://" not in home.text and "https://" not in home.text  # nothing from a CDN


def test_secure_cookies_when_configured(make_client, settings):
    client = make_client(app_settings=settings.model_copy(update={"console_cookie_secure": True}))
    client.base_url = "https://testserver"  # Secure cookies travel over HTTPS only
    make_user(client.app, "hana", "handler")
    assert "Secure" in sign_in(client, "hana").headers["set-cookie"]


def test_a_wrong_password_or_unknown_user_gets_the_same_answer(console):
    wrong_password = sign_in(console, "hana", "not-the-password")
    unknown_user = sign_in(console, "nobody", PASSWORD)
    too_long = sign_in(console, "h" * 2000, PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == too_long.status_code == 401
    assert "用户名或密码不正确" in wrong_password.text and "用户名或密码不正确" in unknown_user.text
    assert console.get("/console/", follow_redirects=False).status_code == 303  # still signed out


def test_five_failures_delay_further_attempts_and_log_them(console, caplog):
    for _ in range(5):
        assert sign_in(console, "hana", "guess-guess").status_code == 401
    with caplog.at_level(logging.WARNING, logger="govperf.api.console"):
        started = time.perf_counter()
        response = sign_in(console, "hana")  # the right password: still delayed, then accepted
        waited = time.perf_counter() - started
    assert waited >= 0.3 and response.status_code == 303
    assert any("5 failed attempts for user 'hana'" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="govperf.api.console"):
        assert sign_in(console, "hana", "guess-again").status_code == 401  # a success reset the count
    assert not caplog.records


def test_forms_without_a_valid_csrf_token_are_refused(console):
    console.get("/console/login")
    refused = console.post("/console/login", data={"username": "hana", "password": PASSWORD, "csrf": "forged"})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    sign_in(console, "hana")
    assert console.post("/console/logout", data={}).status_code == 403
    assert console.post("/console/review/m1", data={"area": "transport", "csrf": "x"}).status_code == 403
    assert console.get("/console/").status_code == 200  # still signed in


def test_a_role_without_the_page_gets_a_403_page(console):
    sign_in(console, "sam")
    home = console.get("/console/")
    assert 'href="/console/review"' not in home.text  # no dead links
    page = console.get("/console/review")
    assert page.status_code == 403 and "<html" in page.text and 'href="/console/"' in page.text


def test_signed_out_browsers_are_sent_to_sign_in_and_unknown_pages_are_html_404s(console):
    response = console.get("/console/review", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login?next=/console/review"
    missing = console.get("/console/no-such-page")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert 'href="/console/"' in missing.text and "Traceback" not in missing.text
    assert sign_in(console, "hana", next_path="https://evil.example/").headers["location"] == "/console/"


def test_sign_out_ends_the_session(console, db):
    sign_in(console, "hana")
    token = csrf_of(console.get("/console/").text)
    response = console.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303 and db.count(ConsoleSession) == 0
    assert console.get("/console/", follow_redirects=False).status_code == 303
    actions = [a.action for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["session.sign_in", "session.sign_out"]


def test_language_switch_sets_a_cookie_and_english_labels(console):
    sign_in(console, "hana")
    assert "退出登录" in console.get("/console/").text
    response = console.get("/console/lang/en?next=/console/review", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/review"
    page = console.get("/console/review")
    assert "Sign out" in page.text and "Review queue" in page.text and 'lang="en"' in page.text
    assert console.get("/console/lang/fr").status_code == 404


def test_review_queue_least_confident_first_escaped_and_corrected(console, api_keys, db, settings):
    classify(console, api_keys["handler"], [
        ("bus-1", "公交车太慢了"), ("x-1", "<script>alert(1)</script> 医院排队没人管，电话13812345678"),
    ])
    sign_in(console, "hana")
    page = console.get("/console/review")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "13812345678" not in page.text  # masked text only
    assert 'id="count-auto">1<' in page.text and 'id="count-pending">1<' in page.text
    assert 'data-key="1"' in page.text and "<kbd>7</kbd>" in page.text  # one key per area
    response = console.post(
        "/console/review/x-1", data={"area": "transport", "dimensions": ["timeliness"], "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    message = db.scalar(select(FeedbackMessage).where(FeedbackMessage.message_id == "x-1"))
    assert message.status == "corrected"
    correction = db.scalar(select(FeedbackCorrection))
    assert (correction.area, correction.dimensions, correction.handler_role) == ("transport", ["timeliness"], "handler")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.correct"))
    assert entry.username == "hana" and entry.item_id == "x-1"
    assert entry.before["area"] == "health" and entry.after == {
        "area": "transport", "dimensions": ["timeliness"], "status": "corrected"}
    frame = corrections_frame(settings.database_url)  # what `govperf train feedback` learns from
    assert frame[["message_id", "area"]].values.tolist() == [["x-1", "transport"]]
    after = console.get(response.headers["location"])
    assert 'id="count-reviewed">1<' in after.text and "没有待复核的留言" in after.text


def test_unknown_labels_and_messages_are_html_errors(console, api_keys):
    classify(console, api_keys["handler"], [("x-1", "医院排队")])
    sign_in(console, "hana")
    token = csrf_of(console.get("/console/review").text)
    bad = console.post("/console/review/x-1", data={"area": "space", "csrf": token})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    assert console.post("/console/review/nope", data={"area": "health", "csrf": token}).status_code == 404


def test_cli_adds_disables_and_resets_users(settings, monkeypatch, console, db):
    from api.cli import app
    from api.settings import get_settings

    monkeypatch.setenv("GOVPERF_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        added = runner.invoke(app, ["users", "add", "lee", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
        assert added.exit_code == 0, added.output
        assert runner.invoke(app, ["users", "add", "lee"], input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 1
        assert runner.invoke(app, ["users", "add", "kim"], input="short\nshort\n").exit_code == 1
        assert sign_in(console, "lee").status_code == 303
        assert runner.invoke(app, ["users", "disable", "lee"]).exit_code == 0
        assert console.get("/console/", follow_redirects=False).status_code == 303  # session ended
        assert sign_in(console, "lee").status_code == 401
        new = "another-long-password"
        assert runner.invoke(app, ["users", "reset", "lee"], input=f"{new}\n{new}\n").exit_code == 0
        assert sign_in(console, "lee", new).status_code == 303
    finally:
        get_settings.cache_clear()
    user = db.scalar(select(User).where(User.username == "lee"))
    assert user.role == "admin" and user.active and user.password_hash.startswith("$argon2id$")
    actions = [(a.username, a.action) for a in db.scalars(select(AuditEntry).where(AuditEntry.item_id == "lee"))]
    assert ("cli", "user.add") in actions and ("cli", "user.disable") in actions
    assert ("cli", "user.reset_password") in actions

"""The alert page's complaint evidence (the API's ``evidence``), in both languages: a surge
links to its KPI alerts and red target, a KPI alert to its surge; excerpts are masked and
every value is escaped."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from api.db import Alert
from tests.api.console_calls import fast_hashing, make_user, sign_in
from tests.api.test_api_feedback_surges import PHONE, _kpi, _stream


@pytest.fixture
def surge_console(client, auth, monkeypatch):
    fast_hashing(monkeypatch)
    _kpi(client, auth)
    stream = _stream()
    for m in stream[-11:-2]:  # D01's surge messages
        m["text"] = "来电人冯先生：" + m["text"] + "<script>alert(1)</script>"
    assert client.post("/v1/feedback/classify", headers=auth("handler"), json={"messages": stream}).status_code == 200
    make_user(client.app, "sam", "supervisor")
    assert sign_in(client, "sam").status_code == 303
    return client


def _section(page: str) -> str:
    return re.search(r'<section class="card" id="evidence">.*?</section>', page, re.S).group(0)


def test_a_surge_page_shows_counts_terms_masked_excerpts_and_links(surge_console, db):
    (surge,) = db.scalars(select(Alert).where(Alert.kind == "feedback_surge"))
    kpi = db.scalars(select(Alert).where(Alert.indicator == "on_time_completion_rate").order_by(Alert.id))
    page = surge_console.get(f"/console/alerts/{surge.id}")
    assert page.status_code == 200
    ev = _section(page.text)
    assert "诉求激增依据" in ev and '<dd id="ev-count">9</dd>' in ev and "交通运输 · 办理时效" in ev
    assert "<li>候车</li>" in ev and "<li>冯</li>" not in ev  # a key term
    assert PHONE not in page.text and "冯先生" not in page.text
    assert "[PHONE]" in ev and "[NAME]先生" in ev, ev
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in ev
    assert [int(i) for i in re.findall(r'href="/console/alerts/(\d+)"', ev)] == [a.id for a in kpi]
    assert re.findall(r'href="/console/targets/([^"]+)"', ev) == ["D01-otc-2024"]
    assert 'style="' not in ev and "<script" not in ev
    surge_console.cookies.set("govperf_lang", "en", path="/console")
    english = _section(surge_console.get(f"/console/alerts/{surge.id}").text)
    assert "Evidence of the surge" in english and "Linked KPI alerts" in english and "Transport" in english


def test_a_kpi_alert_page_shows_the_districts_complaints_and_its_surge(surge_console, db):
    (surge,) = db.scalars(select(Alert).where(Alert.kind == "feedback_surge"))
    (kpi,) = db.scalars(select(Alert).where(Alert.kind == "performance_anomaly"))
    ev = _section(surge_console.get(f"/console/alerts/{kpi.id}").text)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", ev)
    assert rows[0] == ("办理时效", "10")  # December: the surge's 9 and one quiet message
    assert "前6个月月均" in ev and "[PHONE]" in ev
    assert re.findall(r'href="/console/alerts/(\d+)"', ev) == [str(surge.id)]
    surge_console.cookies.set("govperf_lang", "en", path="/console")
    english = _section(surge_console.get(f"/console/alerts/{kpi.id}").text)
    assert "Linked complaint surges" in english and "Monthly mean, previous 6 months" in english

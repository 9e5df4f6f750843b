"""The console's alert inbox, alert page, targets board and audit trail (TestClient).

The data are the console bench's (``api.console.bench.fill``): alerts of every kind,
severity and status over monthly series with 24 months of observations each; targets
are stored through ``PUT /v1/targets`` (assessed by the fake targets model).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from api.console.bench import fill
from api.db import Alert, AlertEvent, AuditEntry, Target
from tests.api.console_calls import csrf_of, fast_hashing, make_user, sign_in

ROW = re.compile(r'<tr>\s*<td class="nowrap"><a href="/console/alerts/(\d+)">')


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    fast_hashing(monkeypatch)


def seed(app, client, api_key: str, *, alerts: int = 300, series: int = 60) -> dict:
    """Alerts and observations (the bench's filler), two assessed targets, four users."""
    filled = fill(app.state.session_factory, n_alerts=alerts, n_series=series)
    targets = [
        {"unique_id": "U00001|on_time_completion_rate", "target": 99.0, "deadline": "2025-12-31",
         "start": "2025-01-01", "direction": "higher", "aggregation": "last"},
        {"unique_id": "U00002|on_time_completion_rate", "target": 1.0, "deadline": "2025-12-31",
         "start": "2025-01-01", "direction": "higher", "aggregation": "mean"},
    ]
    answer = client.put("/v1/targets", json={"targets": targets}, headers={"X-API-Key": api_key})
    assert answer.status_code == 200, answer.text
    for name, role in (("sam", "supervisor"), ("hana", "handler"), ("ann", "analyst"), ("root", "admin")):
        make_user(app, name, role)
    return filled


@pytest.fixture
def console(client, api_keys):
    seed(client.app, client, api_keys["scoring_core"])
    return client


def as_user(client, name: str):
    client.cookies.clear()
    assert sign_in(client, name).status_code == 303
    return client


def alerts_where(client, **where) -> list[Alert]:
    with client.app.state.session_factory() as session:
        stmt = select(Alert)
        for column, value in where.items():
            stmt = stmt.where(getattr(Alert, column) == value)
        return list(session.execute(stmt).scalars())


def test_the_inbox_filters_counts_and_pages_newest_first(console):
    as_user(console, "sam")
    first = console.get("/console/alerts")
    assert first.status_code == 200
    ids = [int(i) for i in ROW.findall(first.text)]
    everything = alerts_where(console)
    newest = sorted(everything, key=lambda a: (a.ds, a.id), reverse=True)
    assert ids == [a.id for a in newest[:50]]
    counts = Counter(a.kind for a in everything)
    for kind, n in counts.items():  # the kind tabs' numbers
        assert re.search(rf'data-kind="{kind}"[^>]*>[^<]*<strong>{n}</strong>', first.text), kind
    second = console.get("/console/alerts?page=2")
    assert [int(i) for i in ROW.findall(second.text)] == [a.id for a in newest[50:100]]

    query = "status=open&severity=high&since=2024-06&until=2025-03"
    filtered = console.get(f"/console/alerts?{query}")
    shown = {int(i) for i in ROW.findall(filtered.text)}
    expected = [a for a in everything if a.status == "open" and a.severity == "high"
                and "2024-06-01" <= f"{a.ds:%Y-%m-%d}" < "2025-04-01"]
    assert shown == {a.id for a in expected} and shown  # fewer than a page
    for kind, n in Counter(a.kind for a in expected).items():
        assert re.search(rf'data-kind="{kind}"[^>]*>[^<]*<strong>{n}</strong>', filtered.text), kind
    assert 'href="/console/alerts?org_unit=&amp;' not in filtered.text  # empty fields left out of links
    assert "severity=high&amp;status=open&amp;since=2024-06" in filtered.text  # the tabs keep the filter (shareable URLs)

    dim = console.get("/console/alerts?dimension=efficiency&kind=data_quality")
    dim_ids = {int(i) for i in ROW.findall(dim.text)}
    efficiency = {"on_time_completion_rate", "avg_processing_days", "backlog_cases", "permit_approval_days",
                  "online_processing_rate"}
    assert dim_ids and all(a.indicator in efficiency and a.kind == "data_quality"
                           for a in everything if a.id in dim_ids)


@pytest.mark.parametrize(("query", "status", "says"), [
    ("kind=bogus", 422, "bogus"),
    ("severity=urgent", 422, "urgent"),
    ("org_unit=Atlantis", 422, "Atlantis"),
    ("dimension=happiness", 422, "happiness"),
    ("since=2024-13", 422, "2024-13"),
    ("since=2025-06&until=2025-01", 422, "2025-06"),
    ("page=0", 422, "0"),
    ("page=lots", 422, "lots"),
])
def test_unknown_filter_values_are_pages_that_name_them(console, query, status, says):
    as_user(console, "sam")
    answer = console.get(f"/console/alerts?{query}")
    assert answer.status_code == status and says in answer.text
    assert "Traceback" not in answer.text and answer.headers["content-type"].startswith("text/html")


def test_unknown_alert_is_a_404_page_with_a_link_back_and_roles_are_enforced(console):
    as_user(console, "sam")
    for path in ("/console/alerts/999999", "/console/alerts/abc", "/console/alerts/99999999999"):
        answer = console.get(path)
        assert answer.status_code == 404 and 'href="/console/alerts"' in answer.text
    assert console.get("/console/audit").status_code == 403  # supervisors do not read the audit trail
    assert console.get("/console/targets").status_code == 200  # supervisors are analysts too
    alert_id = alerts_where(console, status="open")[0].id
    token = csrf_of(console.get(f"/console/alerts/{alert_id}").text)
    as_user(console, "hana")
    assert console.get("/console/alerts").status_code == 403
    assert console.get(f"/console/alerts/{alert_id}").status_code == 403
    refused = console.post(f"/console/alerts/{alert_id}/status", data={"status": "acknowledged", "csrf": token})
    assert refused.status_code == 403 and alerts_where(console, id=alert_id)[0].status == "open"
    assert console.get("/console/targets").status_code == 403
    as_user(console, "ann")
    assert console.get("/console/alerts").status_code == 403
    assert console.get("/console/targets").status_code == 200


def test_dismissing_with_a_reason_uses_the_api_lifecycle_and_writes_the_audit_trail(console, auth):
    as_user(console, "sam")
    alert = alerts_where(console, status="open")[0]
    page = console.get(f"/console/alerts/{alert.id}")
    assert page.status_code == 200 and 'src="data:image/svg+xml;base64,' in page.text and 'name="reason"' in page.text
    token = csrf_of(page.text)
    url = f"/console/alerts/{alert.id}/status"

    assert console.post(url, data={"status": "dismissed", "reason": "x", "csrf": "forged"}).status_code == 403
    no_reason = console.post(url, data={"status": "dismissed", "reason": " ", "csrf": token})
    assert no_reason.status_code == 422 and "reason is required" in no_reason.text
    assert console.post(url, data={"status": "closed", "csrf": token}).status_code == 422
    assert alerts_where(console, id=alert.id)[0].status == "open"

    reason = "<script>alert(1)</script> 节假日调休，数据正常"
    done = console.post(url, data={"status": "dismissed", "reason": reason, "csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/console/alerts/{alert.id}?saved=dismissed"
    with console.app.state.session_factory() as session:
        stored = session.get(Alert, alert.id)
        assert (stored.status, stored.status_reason) == ("dismissed", reason.strip())
        assert stored.seq > alert.seq  # a changed alert is new again on the API's feed
        event = session.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                .order_by(AlertEvent.id.desc())).scalars().first()
        assert (event.from_status, event.to_status, event.reason, event.actor_role) == (
            "open", "dismissed", reason.strip(), "supervisor")
        entry = session.execute(select(AuditEntry).where(AuditEntry.item_id == str(alert.id))).scalar_one()
        assert (entry.username, entry.action, entry.item_type) == ("sam", "alert.dismissed", "alert")
        assert entry.before == {"status": "open", "reason": None} and entry.after["status"] == "dismissed"
    api_view = console.get(f"/v1/alerts/{alert.id}", headers=auth("supervisor")).json()
    assert api_view["status"] == "dismissed" and api_view["events"][-1]["reason"] == reason.strip()

    shown = console.get(f"/console/alerts/{alert.id}?saved=dismissed").text
    assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert 'id="alert-audit"' in shown and "sam" in shown
    again = console.post(url, data={"status": "resolved", "csrf": token})
    assert again.status_code == 409 and "dismissed" in again.text


def test_the_alert_page_shows_reasons_detectors_peers_and_the_target(console):
    as_user(console, "sam")
    alert = alerts_where(console, unique_id="U00001|on_time_completion_rate")[0]
    page = console.get(f"/console/alerts/{alert.id}").text
    assert alert.reason_zh in page and alert.reason_en in page and "robust_z" in page
    peers = re.search(r'<table id="peers">.*?</table>', page, re.S).group(0)
    assert peers.count("<tr") == 1 + 2  # the header, and both units holding the indicator that month
    assert '<tr class="self">' in peers
    assert "2025年12月31日前达到 99" in page  # the series' target (a 'last' target: drawn as a line)
    console.cookies.set("govperf_lang", "en", path="/console")
    english = console.get(f"/console/alerts/{alert.id}").text
    assert "Target: 99 by 31 Dec 2025" in english and "Back to the alert inbox" in english


def test_the_targets_board_is_the_apis_order_and_a_target_has_its_fan(console, auth):
    as_user(console, "ann")
    board = console.get("/console/targets")
    assert board.status_code == 200
    api_order = [t["target_id"] for t in console.get("/v1/targets?sort=p_miss", headers=auth("analyst")).json()["data"]]
    shown = list(dict.fromkeys(re.findall(r'href="/console/targets/([^"]+)"', board.text)))
    assert [s.replace("%7C", "|").replace("%40", "@") for s in shown] == api_order
    assert 'class="rag rag-red"' in board.text
    with console.app.state.session_factory() as session:
        target = session.execute(select(Target).order_by(Target.p_miss.desc())).scalars().first()
    page = console.get(f"/console/targets/{shown[0]}")
    assert page.status_code == 200 and page.text.count("data:image/svg+xml;base64,") == 1 and target.reason_zh in page.text
    missing = console.get("/console/targets/nothing@2030-01-01")
    assert missing.status_code == 404 and 'href="/console/targets"' in missing.text
    assert console.get("/console/targets?status=purple").status_code == 422


def test_the_audit_trail_for_admins_filters_and_pages(console):
    as_user(console, "sam")
    alert = alerts_where(console, status="open")[0]
    token = csrf_of(console.get(f"/console/alerts/{alert.id}").text)
    console.post(f"/console/alerts/{alert.id}/status", data={"status": "acknowledged", "csrf": token})
    as_user(console, "root")
    trail = console.get("/console/audit")
    assert trail.status_code == 200 and "user.add" in trail.text and "alert.acknowledged" in trail.text
    only = console.get("/console/audit?action=alert.acknowledged&user=sam").text
    assert only.count("<code>alert.acknowledged</code>") == 1 and "<code>user.add</code>" not in only
    by_item = console.get(f"/console/audit?item_type=alert&item_id={alert.id}").text
    assert f'href="/console/alerts/{alert.id}"' in by_item
    assert console.get("/console/audit?action=alert.launched").status_code == 422
    assert console.get("/console/audit?page=9").status_code == 422
    with console.app.state.session_factory() as session:
        n = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    assert f"共 {n} 条记录" in console.get("/console/audit").text and n >= 5  # 4 users added, 1 change


def test_every_label_the_pages_build_from_a_value_exists():
    from api.console.i18n import MESSAGES
    from api.console.inbox_format import DIMENSIONS
    from govperf_ml.vocabulary import ALERT_KINDS, ALERT_STATUSES, RISK_STATUSES, SEVERITIES

    built = ({f"alerts_kind_{k}" for k in ALERT_KINDS} | {f"alerts_sev_{s}" for s in SEVERITIES}
             | {f"alerts_status_{s}" for s in ALERT_STATUSES} | {f"alerts_dim_{d}" for d in DIMENSIONS}
             | {f"alerts_do_{s}" for s in ALERT_STATUSES if s != "open"}
             | {f"targets_rag_{s}" for s in (*RISK_STATUSES, "unassessed")}
             | {f"targets_chart_history_{a}" for a in ("last", "mean", "sum")}
             | {f"targets_agg_{a}" for a in ("last", "mean", "sum")} | {"targets_dir_higher", "targets_dir_lower"})
    assert built - set(MESSAGES) == set()

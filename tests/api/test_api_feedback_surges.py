"""Complaint surges: a planted surge of messages raises one ``feedback_surge`` alert, linked
both ways with the KPI alert and the red target of the same district and dimension."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from api.db import Alert

PHONE = "13912345678"
# the fake classifier: 公交 -> transport, 没人 -> timeliness (which maps to efficiency KPIs)
SURGE_TEXT = "公交站台的顶棚塌了一个月没人修，下雨天候车的人全淋湿，电话" + PHONE
QUIET_TEXT = "公交车晚点，打电话也没人接"


def _messages(unit: str, week: pd.Timestamp, n: int, text: str, tag: str) -> list[dict]:
    return [
        {"message_id": f"{unit}-{tag}-{week:%Y%m%d}-{i}", "text": text, "channel": "hotline_12345", "org_unit": unit,
         "received_at": (week + pd.Timedelta(days=i % 5, hours=9)).isoformat()}
        for i in range(n)
    ]


def _stream() -> list[dict]:
    """D01: one message every other week for 14 weeks, then 9 in the week of 2024-12-09;
    D02: 0 or 1 a week, then 2 in one week (too few to be a surge)."""
    weeks = pd.date_range("2024-09-02", "2024-12-09", freq="7D")
    out = []
    for k, week in enumerate(weeks[:-1]):
        out += _messages("D01", week, k % 2, QUIET_TEXT, "q")
        out += _messages("D02", week, (k + 1) % 2, QUIET_TEXT, "q")
    out += _messages("D01", weeks[-1], 9, SURGE_TEXT, "s")
    out += _messages("D02", weeks[-1], 2, QUIET_TEXT, "s")
    return out


def _kpi(client, auth):
    """An on-time completion rate that drops in December 2024 (the fake detector flags it)
    and a 2024 target it will miss (the fake target model turns it red)."""
    values = [92.0] * 11 + [70.0]
    batch = [{"org_unit": "D01", "indicator": "on_time_completion_rate", "ds": d.strftime("%Y-%m-%d"), "value": v,
              "direction": "higher"}
             for d, v in zip(pd.date_range("2024-01-01", periods=12, freq="MS"), values, strict=True)]
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200, r.text
    target = {"target_id": "D01-otc-2024", "unique_id": "D01|on_time_completion_rate", "target": 95, "start": "2024-01-01",
              "deadline": "2024-12-31", "direction": "higher", "aggregation": "last"}
    r = client.put("/v1/targets", headers=auth("supervisor"), json={"targets": [target]})
    assert r.status_code == 200, r.text


def test_a_planted_surge_is_alerted_once_and_linked_both_ways(client, auth, db):
    _kpi(client, auth)
    r = client.post("/v1/feedback/classify", headers=auth("handler"), json={"messages": _stream()})
    assert r.status_code == 200, r.text
    surges = db.scalars(select(Alert).where(Alert.kind == "feedback_surge"))
    assert [(a.unique_id, f"{a.ds:%Y-%m-%d}", a.observed) for a in surges] == [
        ("D01|feedback:transport:timeliness", "2024-12-09", 9.0)
    ]
    # idempotent: the same messages again raise nothing new
    assert client.post("/v1/feedback/classify", headers=auth("handler"), json={"messages": _stream()}).status_code == 200
    assert len(db.scalars(select(Alert).where(Alert.kind == "feedback_surge"))) == 1

    surge = client.get(f"/v1/alerts/{surges[0].id}", headers=auth("supervisor")).json()
    assert surge["kind"] == "feedback_surge" and "D01" in surge["reason_en"]
    ev = surge["evidence"]
    assert ev["complaints"][0]["count"] == 9 and ev["complaints"][0]["dimension"] == "timeliness"
    assert ev["messages"] and all(PHONE not in m["excerpt"] and "[PHONE]" in m["excerpt"] for m in ev["messages"])
    assert PHONE not in str(surge) and "候车" in ev["key_terms"]
    kpi = db.scalars(select(Alert).where(Alert.indicator == "on_time_completion_rate").order_by(Alert.id))
    assert [a.kind for a in kpi] == ["performance_anomaly", "target_risk"]  # the drop, and the target turning red
    assert [a["id"] for a in ev["linked_alerts"]] == [a.id for a in kpi]
    assert [t["target_id"] for t in ev["linked_targets"]] == ["D01-otc-2024"]

    back = client.get(f"/v1/alerts/{kpi[0].id}", headers=auth("analyst")).json()["evidence"]
    timeliness = next(c for c in back["complaints"] if c["dimension"] == "timeliness")
    assert timeliness["count"] == 9 + 1  # December: the surge and one quiet message
    assert [a["id"] for a in back["linked_alerts"]] == [surges[0].id]
    assert PHONE not in str(back)


def test_a_dismissed_kpi_alert_is_no_longer_linked_and_other_indicators_have_no_evidence(client, auth, db):
    _kpi(client, auth)
    client.post("/v1/feedback/classify", headers=auth("handler"), json={"messages": _stream()})
    (surge,) = db.scalars(select(Alert).where(Alert.kind == "feedback_surge"))
    (kpi,) = db.scalars(select(Alert).where(Alert.kind == "performance_anomaly"))
    (risk,) = db.scalars(select(Alert).where(Alert.kind == "target_risk"))
    r = client.patch(f"/v1/alerts/{kpi.id}", headers=auth("supervisor"), json={"status": "dismissed", "reason": "known"})
    assert r.status_code == 200
    linked = client.get(f"/v1/alerts/{surge.id}", headers=auth("supervisor")).json()["evidence"]["linked_alerts"]
    assert [a["id"] for a in linked] == [risk.id]
    batch = [{"org_unit": "D01", "indicator": "my_own_kpi", "ds": d.strftime("%Y-%m-%d"), "value": v}
             for d, v in zip(pd.date_range("2024-01-01", periods=6, freq="MS"), [1, 1, 1, 1, 1, 50], strict=True)]
    client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    (own,) = db.scalars(select(Alert).where(Alert.indicator == "my_own_kpi"))
    assert client.get(f"/v1/alerts/{own.id}", headers=auth("supervisor")).json()["evidence"] is None


def test_a_kpi_alert_without_any_messages_has_empty_complaint_evidence(client, auth, db):
    _kpi(client, auth)
    (kpi,) = db.scalars(select(Alert).where(Alert.kind == "performance_anomaly"))
    r = client.get(f"/v1/alerts/{kpi.id}", headers=auth("supervisor"))
    assert r.status_code == 200
    ev = r.json()["evidence"]
    assert [(c["dimension"], c["count"]) for c in ev["complaints"]] == [("timeliness", 0), ("accessibility", 0)]
    assert ev["messages"] == [] and ev["linked_alerts"] == []

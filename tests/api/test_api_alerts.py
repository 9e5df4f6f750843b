"""Alert listing, cursor paging and the status lifecycle."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.db import AlertEvent


@pytest.fixture
def alerts(client, auth, helpers) -> list[dict]:
    """Six alerts over three units (each series spikes twice)."""
    batch = []
    for unit in ("d1", "d2", "d3"):
        batch += helpers.observations(unit, "complaints", [10, 10, 60, 10, 10, 70], direction="lower")
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200, r.text
    assert len(r.json()["alerts"]) == 6
    return r.json()["alerts"]


def test_list_filters(client, auth, alerts):
    r = client.get("/v1/alerts", headers=auth("analyst"), params={"org_unit": "d2"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and {a["org_unit"] for a in body["data"]} == {"d2"}
    r = client.get("/v1/alerts", headers=auth("analyst"), params={"since": "2024-04-01", "until": "2024-06-01"})
    assert r.json()["count"] == 3 and all(a["ds"].startswith("2024-06-01") for a in r.json()["data"])
    r = client.get("/v1/alerts", headers=auth("analyst"), params={"kind": "performance_anomaly", "severity": "high"})
    assert r.json()["count"] == 6
    r = client.get("/v1/alerts", headers=auth("analyst"), params={"status": "resolved"})
    assert r.json() == {"data": [], "count": 0, "next_cursor": None}


def test_bad_filter_value_is_422(client, auth, alerts):
    r = client.get("/v1/alerts", headers=auth("analyst"), params={"kind": "gossip"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "kind"]


def test_cursor_paging_returns_each_alert_once_and_then_changes(client, auth, alerts):
    seen, cursor = [], None
    while True:
        params = {"limit": 4} | ({"after_seq": cursor} if cursor is not None else {})
        page = client.get("/v1/alerts", headers=auth("scoring_core"), params=params).json()
        if not page["data"]:
            assert page["next_cursor"] == cursor  # an empty page keeps the cursor
            break
        seen += page["data"]
        cursor = page["next_cursor"]
        assert cursor == page["data"][-1]["seq"]
    assert sorted(a["id"] for a in seen) == sorted(a["id"] for a in alerts)
    seqs = [a["seq"] for a in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    # a status change moves the alert past the cursor: the poller sees it again
    changed = alerts[2]["id"]
    client.patch(f"/v1/alerts/{changed}", headers=auth("supervisor"), json={"status": "acknowledged"})
    page = client.get("/v1/alerts", headers=auth("scoring_core"), params={"after_seq": cursor}).json()
    assert [(a["id"], a["status"]) for a in page["data"]] == [(changed, "acknowledged")]


def test_offset_paging(client, auth, alerts):
    first = client.get("/v1/alerts", headers=auth("analyst"), params={"limit": 4}).json()
    second = client.get("/v1/alerts", headers=auth("analyst"), params={"limit": 4, "offset": 4}).json()
    assert first["count"] == second["count"] == 6
    assert len(first["data"]) == 4 and len(second["data"]) == 2
    assert client.get("/v1/alerts", headers=auth("analyst"), params={"limit": 0}).status_code == 422


def test_lifecycle_open_acknowledged_resolved(client, auth, alerts, db):
    alert_id = alerts[0]["id"]
    r = client.patch(f"/v1/alerts/{alert_id}", headers=auth("supervisor"), json={"status": "acknowledged"})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert r.json()["seq"] > alerts[0]["seq"]
    r = client.patch(
        f"/v1/alerts/{alert_id}", headers=auth("scoring_core"), json={"status": "resolved", "reason": "data corrected"}
    )
    assert r.status_code == 200
    detail = client.get(f"/v1/alerts/{alert_id}", headers=auth("analyst")).json()
    assert detail["status"] == "resolved" and detail["status_reason"] == "data corrected"
    assert [(e["from_status"], e["to_status"], e["actor_role"]) for e in detail["events"]] == [
        (None, "open", "scoring_core"),
        ("open", "acknowledged", "supervisor"),
        ("acknowledged", "resolved", "scoring_core"),
    ]
    # a closed alert cannot move again: 409, and nothing is recorded
    r = client.patch(f"/v1/alerts/{alert_id}", headers=auth("supervisor"), json={"status": "acknowledged"})
    assert r.status_code == 409
    assert "'resolved'" in r.json()["detail"]
    assert len(db.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id))) == 3


def test_acknowledging_twice_is_409(client, auth, alerts):
    url = f"/v1/alerts/{alerts[0]['id']}"
    assert client.patch(url, headers=auth("supervisor"), json={"status": "acknowledged"}).status_code == 200
    assert client.patch(url, headers=auth("supervisor"), json={"status": "acknowledged"}).status_code == 409


def test_dismissal_needs_a_reason(client, auth, alerts):
    url = f"/v1/alerts/{alerts[1]['id']}"
    r = client.patch(url, headers=auth("supervisor"), json={"status": "dismissed"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "reason"]
    r = client.patch(url, headers=auth("supervisor"), json={"status": "dismissed", "reason": "   "})
    assert r.status_code == 422
    r = client.patch(url, headers=auth("supervisor"), json={"status": "dismissed", "reason": "Spring Festival"})
    assert r.status_code == 200 and r.json()["status_reason"] == "Spring Festival"


def test_reopening_is_not_a_valid_target(client, auth, alerts):
    r = client.patch(f"/v1/alerts/{alerts[0]['id']}", headers=auth("supervisor"), json={"status": "open"})
    assert r.status_code == 422


def test_unknown_alert_is_404(client, auth):
    assert client.get("/v1/alerts/12345", headers=auth("analyst")).status_code == 404
    r = client.patch("/v1/alerts/12345", headers=auth("supervisor"), json={"status": "acknowledged"})
    assert r.status_code == 404


def test_analyst_reads_but_cannot_change(client, auth, alerts):
    url = f"/v1/alerts/{alerts[0]['id']}"
    assert client.get(url, headers=auth("analyst")).status_code == 200
    assert client.patch(url, headers=auth("analyst"), json={"status": "acknowledged"}).status_code == 403

"""Stateless scoring, and the idempotent observation upsert that raises alerts."""

from __future__ import annotations

from sqlalchemy import select

from api.db import Alert, AlertEvent, Observation
from tests.api.calls import post_obs


def test_score_returns_every_point_with_band_and_reasons(client, auth, helpers):
    body = {"series": helpers.monthly("d1|rate", [10, 11, 50, None]), "directions": {"d1|rate": "higher"}}
    r = client.post("/v1/anomalies/score", headers=auth("supervisor"), json=body)
    assert r.status_code == 200
    out = r.json()
    assert out["model_version"] == "govperf-anomaly/3"
    assert out["anomalies"] == 2
    points = out["points"]
    assert [p["ds"][:10] for p in points] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    spike, missing = points[2], points[3]
    assert spike["is_anomaly"] and spike["kind"] == "performance_anomaly" and spike["severity"] == "high"
    assert spike["lower"] < spike["expected"] < spike["upper"]
    assert spike["reason_zh"] and spike["reason_en"]
    assert missing["y"] is None and missing["score"] is None and missing["kind"] == "data_quality"
    assert points[0]["kind"] is None and points[0]["severity"] is None


def test_bad_direction_is_422(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2]), "directions": {"a": "up"}}
    r = client.post("/v1/anomalies/score", headers=auth("supervisor"), json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "directions", "a"]


def test_observations_upsert_is_idempotent(client, auth, helpers, db):
    batch = helpers.observations("d1", "on_time_rate", [90, 91, 60, 92], direction="higher")
    first = post_obs(client, auth, batch)
    assert first.status_code == 200
    assert first.json() | {"alerts": None} == {
        "inserted": 4,
        "updated": 0,
        "unchanged": 0,
        "series_rescored": 1,
        "targets_reassessed": 0,
        "model_version": "govperf-anomaly/3",
        "targets_model_version": "govperf-targets/3",
        "alerts": None,
    }
    (alert,) = first.json()["alerts"]
    assert alert["unique_id"] == "d1|on_time_rate"
    assert alert["org_unit"] == "d1" and alert["indicator"] == "on_time_rate"
    assert alert["ds"].startswith("2024-03-01") and alert["observed"] == 60.0 and alert["status"] == "open"

    again = post_obs(client, auth, batch)
    assert again.status_code == 200
    assert again.json()["inserted"] == 0 and again.json()["updated"] == 0 and again.json()["unchanged"] == 4
    assert again.json()["alerts"] == []
    assert db.count(Observation) == 4
    assert db.count(Alert) == 1
    assert db.count(AlertEvent) == 1


def test_changed_value_updates_and_rescoring_adds_only_new_alerts(client, auth, helpers, db):
    post_obs(client, auth, helpers.observations("d1", "backlog", [5, 6, 5, 6, 5, 40]))  # June spikes
    # a revision of May, a new July with a missing submission, and an unchanged January
    revised = [
        {"org_unit": "d1", "indicator": "backlog", "ds": "2024-01-01", "value": 5},
        {"org_unit": "d1", "indicator": "backlog", "ds": "2024-05-01", "value": 45},
        {"org_unit": "d1", "indicator": "backlog", "ds": "2024-07-01", "value": None},
    ]
    r = post_obs(client, auth, revised)
    assert r.status_code == 200
    body = r.json()
    assert (body["inserted"], body["updated"], body["unchanged"]) == (1, 1, 1)
    new = {(a["ds"][:10], a["kind"]) for a in body["alerts"]}
    # the revision of May is itself a data-quality alert (revised history)
    assert new == {("2024-05-01", "performance_anomaly"), ("2024-05-01", "data_quality"), ("2024-07-01", "data_quality")}
    assert db.count(Alert) == 4  # June's alert is not duplicated
    values = db.scalars(select(Observation.value).order_by(Observation.ds))
    assert values == [5, 6, 5, 6, 45, 40, None]


def test_a_null_value_sent_again_is_unchanged(client, auth, helpers):
    batch = helpers.observations("d2", "x", [1.0, None])
    post_obs(client, auth, batch)
    assert post_obs(client, auth, batch).json()["unchanged"] == 2


def test_same_key_twice_in_a_batch_is_422(client, auth, db):
    item = {"org_unit": "d1", "indicator": "i", "ds": "2024-01-01", "value": 1}
    r = post_obs(client, auth, [item, {**item, "ds": "2024-01-01T00:00:00"}])
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "observations"] and err["type"] == "data_contract"
    assert db.count(Observation) == 0


def test_series_are_scored_separately(client, auth, helpers):
    batch = helpers.observations("d1", "rate", [10, 10, 10]) + helpers.observations("d2", "rate", [100, 100, 100])
    r = post_obs(client, auth, batch)
    assert r.json()["alerts"] == []
    assert r.json()["series_rescored"] == 2


def test_a_utc_offset_does_not_move_the_period(client, auth):
    item = {"org_unit": "d1", "indicator": "i", "value": 1}
    post_obs(client, auth, [item | {"ds": "2024-01-01"}])
    r = post_obs(client, auth, [item | {"ds": "2024-01-01T00:00:00+08:00"}])
    assert r.json()["unchanged"] == 1

"""Data-quality checks on ingest (revised history, late submissions) and dismissal-tuned thresholds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select

from api.db import Alert, AlertEvent
from govperf_ml.alerts.ingest_checks import period_end
from tests.api.calls import post_obs


def dq_alerts(db, check):
    return [a for a in db.scalars(select(Alert).where(Alert.kind == "data_quality")) if check in a.detectors]


def test_revised_history_raises_one_data_quality_alert_and_is_idempotent(client, auth, helpers, db):
    assert post_obs(client, auth, helpers.observations("d1", "permits", [5, 6, 5, 6])).status_code == 200
    assert dq_alerts(db, "revised_history") == []
    batch = [{"org_unit": "d1", "indicator": "permits", "ds": "2024-03-01", "value": 9}]
    r = post_obs(client, auth, batch)
    assert r.status_code == 200 and r.json()["updated"] == 1
    (alert,) = dq_alerts(db, "revised_history")
    assert alert.ds == datetime(2024, 3, 1) and alert.observed == 9 and alert.expected == 5
    assert "value for 2024-03 was revised from 5 to 9" in alert.reason_en
    assert "2024-03" in alert.reason_zh and "修订" in alert.reason_zh
    assert alert.model_version.startswith("ingest-checks")
    n_alerts, n_events = db.count(Alert), db.count(AlertEvent)
    again = post_obs(client, auth, batch)  # the same batch again changes nothing
    assert again.json()["unchanged"] == 1 and again.json()["alerts"] == []
    assert (db.count(Alert), db.count(AlertEvent)) == (n_alerts, n_events)


def test_late_submission_alerts_only_new_values_of_known_series(client, auth, helpers, db):
    # loading a new series' back history is not late
    assert post_obs(client, auth, helpers.observations("d2", "visits", [10, 11, 10, 11])).status_code == 200
    assert dq_alerts(db, "late_submission") == []
    late = [{"org_unit": "d2", "indicator": "visits", "ds": "2024-05-01", "value": 10.5}]
    r = post_obs(client, auth, late)
    assert r.status_code == 200
    (alert,) = dq_alerts(db, "late_submission")
    days = (datetime.now(UTC).replace(tzinfo=None) - datetime(2024, 6, 1)).days
    assert alert.ds == datetime(2024, 5, 1) and alert.severity == "low"
    assert f"arrived {days} days after the period ended (allowed: 45 days)" in alert.reason_en
    assert any(a["id"] == alert.id for a in r.json()["alerts"])
    n = db.count(Alert)
    assert post_obs(client, auth, late).json()["alerts"] == [] and db.count(Alert) == n


def test_a_value_on_time_is_not_late(make_client, settings, auth, helpers):
    client = make_client(app_settings=settings.model_copy(update={"late_after_days": 100_000}))
    post_obs(client, auth, helpers.observations("d3", "visits", [10, 11, 10]))
    r = post_obs(client, auth, [{"org_unit": "d3", "indicator": "visits", "ds": "2024-04-01", "value": 10}])
    assert not any("late_submission" in a["detectors"] for a in r.json()["alerts"])


def test_period_end():
    assert period_end(datetime(2024, 12, 1)) == datetime(2025, 1, 1)
    assert period_end(datetime(2024, 3, 15)) == datetime(2024, 3, 16)


class TunableAnomaly:
    """Flags |y - median| > 10 + the threshold offset of the series' indicator; records the offsets."""

    def __init__(self):
        self.seen: list[dict] = []

    def score(self, df, *, directions=None, threshold_offsets=None, targets=None):
        self.seen.append(dict(threshold_offsets or {}))
        expected = df.groupby("unique_id")["y"].transform("median")
        off = df["unique_id"].map(lambda u: (threshold_offsets or {}).get(u.split("|")[1], 0.0))
        z = (df["y"] - expected).abs() / 10
        flag = z > 1 + off
        return pd.DataFrame({"unique_id": df["unique_id"], "ds": df["ds"], "y": df["y"], "expected": expected,
                             "lo": expected - 10, "hi": expected + 10, "anomaly_score": z, "is_anomaly": flag,
                             "kind": "performance_anomaly", "severity": "medium",
                             "reason_en": flag.map({True: "far off", False: ""}),
                             "reason_zh": flag.map({True: "偏离", False: ""}), "detectors": [["fake"]] * len(df)})


def test_dismissed_indicators_are_scored_with_a_raised_threshold(make_client, auth, helpers, db):
    models = helpers.fake_models()
    est = TunableAnomaly()
    models["anomaly"] = dataclasses.replace(models["anomaly"], estimator=est)
    client = make_client(models=models)
    batch = []
    for unit in ("d1", "d2", "d3", "d4", "d5", "d6"):
        batch += helpers.observations(unit, "noise", [10, 10, 40, 10, 10])
        batch += helpers.observations(unit, "useful", [10, 10, 40, 10, 10])
    r = post_obs(client, auth, batch)
    assert r.status_code == 200 and len(r.json()["alerts"]) == 12
    assert est.seen[-1] == {}  # nothing reviewed yet
    for a in r.json()["alerts"]:
        status = {"status": "dismissed", "reason": "known seasonal campaign"} if a["indicator"] == "noise" \
            else {"status": "acknowledged"}
        assert client.patch(f"/v1/alerts/{a['id']}", headers=auth("supervisor"), json=status).status_code == 200
    assert all(a["detectors"] == ["fake"] for a in r.json()["alerts"])
    more = []
    for unit in ("d1", "d2"):
        more += helpers.observations(unit, "noise", [36], start="2024-06-01")
        more += helpers.observations(unit, "useful", [36], start="2024-06-01")
    r = post_obs(client, auth, more)
    assert r.status_code == 200
    offsets = est.seen[-1]
    assert set(offsets) == {"noise"} and 0 < offsets["noise"] <= 2.0
    new_perf = {a["indicator"] for a in r.json()["alerts"] if a["kind"] == "performance_anomaly"}
    assert new_perf == {"useful"}


def test_submitted_at_decides_lateness(client, auth, helpers, db):
    post_obs(client, auth, helpers.observations("d4", "visits", [10, 11, 10, 11]))
    on_time = [{"org_unit": "d4", "indicator": "visits", "ds": "2024-05-01", "value": 10.5,
                "submitted_at": "2024-06-10T09:00:00+08:00"}]
    assert post_obs(client, auth, on_time).status_code == 200
    assert dq_alerts(db, "late_submission") == []
    late = [{"org_unit": "d4", "indicator": "visits", "ds": "2024-06-01", "value": 10.0,
             "submitted_at": "2024-09-30T09:00:00"}]
    post_obs(client, auth, late)
    (alert,) = dq_alerts(db, "late_submission")
    assert "arrived 91 days after" in alert.reason_en

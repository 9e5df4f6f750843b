"""The targets' calibration watch: assessments are kept, targets are decided when their
deadline is covered, and green targets that keep missing raise one model_drift alert."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from api.db import Alert, Target, TargetAssessment
from tests.api.conftest import fake_models

N_TARGETS = 14  # the rule needs at least 12 decided targets of a colour


def _backtest(green_rate: float) -> dict:
    return {"n": 3000, "ece": 0.01, "reliability": [],
            "by_status": {"green": {"n": 1000, "miss_rate": green_rate}, "amber": {"n": 1000, "miss_rate": 0.5},
                          "red": {"n": 1000, "miss_rate": 0.97}}}


def _client(make_client, green_rate: float):
    models = fake_models()
    models["targets"].estimator.backtest_calibration_ = _backtest(green_rate)
    return make_client(models=models)


def _month(client, auth, ds: str, value: float):
    batch = [{"org_unit": "d1", "indicator": "rate", "ds": ds, "value": value}]
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200, r.text
    return r.json()


def _run_half_year(client, auth, values) -> list[dict]:
    """Targets over Jan–Jun 2024 on one series (the fake model: green while the last value
    is at or above 50); the months arrive one at a time."""
    _month(client, auth, "2023-12-01", values[0])
    targets = [{"target_id": f"t{i}", "unique_id": "d1|rate", "target": 50, "start": "2024-01-01",
                "deadline": "2024-06-30", "direction": "higher", "aggregation": "last"} for i in range(N_TARGETS)]
    assert client.put("/v1/targets", headers=auth("supervisor"), json={"targets": targets}).status_code == 200
    alerts = []
    for ds, v in zip(pd.date_range("2024-01-01", periods=6, freq="MS"), values, strict=True):
        alerts += _month(client, auth, ds.strftime("%Y-%m-%d"), v)["alerts"]
    return [a for a in alerts if a["kind"] == "model_drift"]


def test_green_targets_that_miss_raise_one_calibration_drift_alert(make_client, auth, db):
    client = _client(make_client, green_rate=0.05)
    drift = _run_half_year(client, auth, [60, 60, 60, 40, 40, 40])  # green for a quarter, then missed
    assert len(drift) == 1
    alert = drift[0]
    assert alert["org_unit"] == "targets model" and alert["indicator"] == "green"
    assert alert["observed"] == 1.0 and alert["upper"] < 0.1 and "green" in alert["reason_en"]
    decided = db.scalars(select(Target))
    assert all(t.missed is True and t.achieved == 40 for t in decided)
    kept = db.scalars(select(TargetAssessment))
    assert {a.status for a in kept} == {"green", "red"} and all(a.as_of < pd.Timestamp("2024-06-01") for a in kept)
    cal = next(m for m in client.get("/v1/models", headers=auth("analyst")).json()["data"]
               if m["capability"] == "targets")["calibration"]
    assert cal["live_by_status"]["green"] == {"n": N_TARGETS, "miss_rate": 1.0}
    # another decided value of the same targets does not raise a second alert while it is open
    again = _month(client, auth, "2024-06-01", 39)["alerts"]
    assert not [a for a in again if a["kind"] == "model_drift"]
    assert len(db.scalars(select(Alert).where(Alert.kind == "model_drift"))) == 1


def test_targets_that_miss_as_often_as_the_backtest_said_raise_nothing(make_client, auth, db):
    client = _client(make_client, green_rate=0.05)
    assert _run_half_year(client, auth, [60, 60, 60, 60, 60, 60]) == []  # green and met
    assert all(t.missed is False for t in db.scalars(select(Target)))


def test_a_changed_target_forgets_its_past_assessments(make_client, auth, db):
    client = _client(make_client, green_rate=0.05)
    _month(client, auth, "2024-01-01", 60)
    t = {"target_id": "t", "unique_id": "d1|rate", "target": 50, "deadline": "2024-06-30", "direction": "higher",
         "aggregation": "last"}
    client.put("/v1/targets", headers=auth("supervisor"), json={"targets": [t]})
    assert len(db.scalars(select(TargetAssessment))) == 1
    client.put("/v1/targets", headers=auth("supervisor"), json={"targets": [t | {"target": 70}]})
    kept = db.scalars(select(TargetAssessment))
    assert [(a.status, a.as_of.month) for a in kept] == [("red", 1)]  # only the new definition's
    assert np.isclose(kept[0].p_miss, 0.8)

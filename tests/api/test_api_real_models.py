"""The service end to end with really trained models, loaded from MLflow by the lifespan.

The models are trained on a tiny seeded synthetic panel with ``govperf_ml.training`` and
registered with ``govperf_ml.registry`` in a temporary MLflow store, so this covers the
path ``govperf serve`` takes: registry -> load_champions -> app.state.models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.auth import ensure_api_keys
from api.main import create_app
from tests.api.trained import INDICATOR, serving_settings

@pytest.fixture(scope="module")
def real(tiny_registry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("service")
    settings = serving_settings(folder, tiny_registry)
    keys = ensure_api_keys(settings.api_keys_file)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:  # no models=: via MLflow
        client.keys = {role: {"X-API-Key": key} for role, key in keys.items()}
        yield client


def test_champions_are_loaded_from_mlflow(real):
    assert real.get("/readyz").status_code == 200
    models = real.get("/v1/models", headers=real.keys["analyst"]).json()["data"]
    assert {m["capability"]: m["model_version"] for m in models} == {
        "anomaly": "govperf-anomaly/1",
        "forecast": "govperf-forecast/1",
        "targets": "govperf-targets/1",
        "feedback": "govperf-feedback/1",
    }
    assert all(m["metrics"] for m in models)


def test_observations_raise_an_alert_once(real):
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    values = [80.0 + (i % 3) * 0.5 for i in range(24)]
    values[20] = 35.0
    batch = [
        {"org_unit": "d9", "indicator": INDICATOR, "ds": d.strftime("%Y-%m-%d"), "value": v, "direction": "higher"}
        for d, v in zip(months, values, strict=True)
    ]
    first = real.post("/v1/observations", headers=real.keys["scoring_core"], json={"observations": batch})
    assert first.status_code == 200, first.text
    alerts = first.json()["alerts"]
    assert any(a["ds"].startswith("2023-09-01") for a in alerts)
    assert all(a["model_version"] == "govperf-anomaly/1" and a["reason_en"] for a in alerts)
    again = real.post("/v1/observations", headers=real.keys["scoring_core"], json={"observations": batch})
    assert again.json()["unchanged"] == 24 and again.json()["alerts"] == []
    listed = real.get("/v1/alerts", headers=real.keys["supervisor"], params={"org_unit": "d9"}).json()
    assert listed["count"] == len(alerts)


def test_score_forecast_targets(real):
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    series = [{"unique_id": "x", "ds": d.strftime("%Y-%m-%d"), "y": 80.0 + (i % 4)} for i, d in enumerate(months)]
    r = real.post("/v1/anomalies/score", headers=real.keys["supervisor"], json={"series": series})
    assert r.status_code == 200 and len(r.json()["points"]) == 24

    days = pd.date_range("2024-01-01", periods=60, freq="D")
    demand = [{"unique_id": "h1", "ds": d.strftime("%Y-%m-%d"), "y": 100.0 + 10 * (d.dayofweek < 5)} for d in days]
    r = real.post("/v1/forecasts", headers=real.keys["analyst"], json={"series": demand, "h": 14})
    assert r.status_code == 200, r.text
    rows = r.json()["forecasts"]
    assert len(rows) == 14 and r.json()["model_version"] == "govperf-forecast/1"
    for p in rows:
        assert p["intervals"]["95"]["lo"] <= p["intervals"]["80"]["lo"] <= p["mean"] <= p["intervals"]["80"]["hi"]

    body = {
        "series": series,
        "targets": [
            {
                "unique_id": "x",
                "target": 90,
                "deadline": "2024-06-30",
                "direction": "higher",
                "aggregation": "last",
                "start": "2023-07-01",
            }
        ],
        "as_of": "2023-12-31",
    }
    r = real.post("/v1/targets/risk", headers=real.keys["analyst"], json=body)
    assert r.status_code == 200, r.text
    (risk,) = r.json()["assessments"]
    assert 0 <= risk["p_miss"] <= 1 and risk["status"] and risk["reason_en"]


def test_library_contract_errors_are_422(real):
    point = {"unique_id": "x", "ds": "2024-01-01", "y": 1.0}
    r = real.post("/v1/forecasts", headers=real.keys["analyst"], json={"series": [point, point], "h": 3})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["type"] == "data_contract" and err["loc"][0] == "body" and err["ids"] == ["x"]


def test_feedback_round_trip(real):
    raw = "我叫李四，手机13800138000，公交车经常晚点"
    r = real.post(
        "/v1/feedback/classify",
        headers=real.keys["handler"],
        json={"messages": [{"message_id": "real-1", "text": raw}]},
    )
    assert r.status_code == 200, r.text
    (msg,) = r.json()["messages"]
    assert "13800138000" not in r.text and "[PHONE]" in msg["masked_text"]
    assert msg["area"] == "transport" and 0 <= msg["area_confidence"] <= 1
    r = real.post(
        "/v1/feedback/real-1/corrections",
        headers=real.keys["handler"],
        json={"area": "transport", "dimensions": ["timeliness"]},
    )
    assert r.status_code == 201
    r = real.post("/v1/feedback/real-1/corrections", headers=real.keys["handler"], json={"area": "urban_construction"})
    assert r.status_code == 422  # not a class this model was trained on


def test_values_bunched_at_a_stored_target_raise_suspected_misreporting(real):
    rng = np.random.default_rng(3)
    months = pd.date_range("2021-01-01", periods=42, freq="MS")
    values = 80 + rng.normal(0, 1.0, len(months))
    values[36:] = 83 + rng.uniform(0.05, 0.4, 6)  # 2024: every month just past the target 83
    target = {"org_unit": "d7", "indicator": INDICATOR, "target": 83, "start": "2024-01-01",
              "deadline": "2024-12-31", "direction": "higher", "aggregation": "mean"}
    r = real.put("/v1/targets", headers=real.keys["scoring_core"], json={"targets": [target]})
    assert r.status_code == 200, r.text
    batch = [
        {"org_unit": "d7", "indicator": INDICATOR, "ds": d.strftime("%Y-%m-%d"), "value": round(float(v), 2),
         "direction": "higher"}
        for d, v in zip(months, values, strict=True)
    ]
    r = real.post("/v1/observations", headers=real.keys["scoring_core"], json={"observations": batch})
    assert r.status_code == 200, r.text
    bunched = [a for a in r.json()["alerts"] if "bunching" in a["detectors"]]
    assert bunched and all(a["kind"] == "suspected_misreporting" and a["ds"] >= "2024" for a in bunched)
    assert "target 83" in bunched[0]["reason_en"]
    # the stateless endpoint does the same when the targets come with the series
    series = [{"unique_id": "z", "ds": p["ds"], "y": p["value"]} for p in batch]
    body = {"series": series, "directions": {"z": "higher"},
            "targets": [{"unique_id": "z", "target": 83, "start": "2024-01-01", "deadline": "2024-12-31",
                         "direction": "higher", "aggregation": "mean"}]}
    r = real.post("/v1/anomalies/score", headers=real.keys["supervisor"], json=body)
    assert r.status_code == 200, r.text
    assert any(p["kind"] == "suspected_misreporting" for p in r.json()["points"])


def test_too_short_histories_and_absurd_values_are_422_not_500(real):
    def daily(n, scale=1.0, uid="h1"):
        days = pd.date_range("2024-01-01", periods=n, freq="D")
        return [{"unique_id": uid, "ds": d.strftime("%Y-%m-%d"), "y": scale * (100.0 + i)} for i, d in enumerate(days)]

    for n in (1, 2, 5):
        r = real.post("/v1/forecasts", headers=real.keys["analyst"], json={"series": daily(n), "h": 7})
        assert r.status_code == 422, (n, r.text)
        (err,) = r.json()["errors"]
        assert err["ids"] == ["h1"] and "too short a history" in err["msg"]
    mixed = daily(60, uid="long") + daily(3, uid="short")
    r = real.post("/v1/forecasts", headers=real.keys["analyst"], json={"series": mixed, "h": 7})
    assert r.status_code == 422 and r.json()["errors"][0]["ids"] == ["short"]
    r = real.post("/v1/forecasts", headers=real.keys["analyst"], json={"series": daily(60, scale=1e306), "h": 7})
    assert r.status_code == 422
    assert "less than or equal to 1000000000000000" in r.json()["errors"][0]["msg"]
    assert real.post("/v1/forecasts", headers=real.keys["analyst"], json={"series": daily(8), "h": 7}).status_code == 200


def test_targets_that_cannot_be_judged_are_422_by_target_id_and_short_histories_use_the_pace_rule(real):
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    rate = [{"unique_id": "D01|on_time_rate", "ds": d.strftime("%Y-%m-%d"), "y": 90.0 + i % 3}
            for i, d in enumerate(months)]
    target = {"target_id": "rate-2025", "unique_id": "D01|on_time_rate", "deadline": "2025-06-30",
              "direction": "higher", "aggregation": "last"}
    for body in ({"series": rate, "targets": [{**target, "target": 0}]},
                 {"series": rate, "targets": [{**target, "target": 95, "deadline": "2023-06-30"}]}):
        r = real.post("/v1/targets/risk", headers=real.keys["analyst"], json=body)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["ids"] == ["rate-2025"]
    r = real.post("/v1/targets/risk", headers=real.keys["analyst"],
                  json={"series": rate[:2], "targets": [{**target, "target": 95}]})
    assert r.status_code == 200, r.text
    (risk,) = r.json()["assessments"]
    assert 0 <= risk["p_miss"] <= 1 and "too little history" in risk["reason_en"].lower()


def _months_without(n: int, gone: int, start="2022-01-01"):
    months = pd.date_range(start, periods=n, freq="MS").delete(gone)
    return months, [80.0 + (i % 3) * 0.5 for i in range(len(months))]


def test_stateless_scoring_reports_an_absent_month(real):
    months, values = _months_without(24, 14)
    body = {"series": [{"unique_id": "d8|rate", "ds": d.strftime("%Y-%m-%d"), "y": v}
                       for d, v in zip(months, values, strict=True)]}
    r = real.post("/v1/anomalies/score", headers=real.keys["supervisor"], json=body)
    assert r.status_code == 200, r.text
    points = r.json()["points"]
    assert len(points) == 24
    gap = next(p for p in points if p["ds"].startswith("2023-03-01"))
    assert gap["y"] is None and gap["is_anomaly"] and gap["kind"] == "data_quality"
    assert "No value reported for 2023-03" in gap["reason_en"]


def test_an_absent_month_at_ingest_raises_a_data_quality_alert(real):
    months, values = _months_without(24, 10)
    batch = [{"org_unit": "d6", "indicator": INDICATOR, "ds": d.strftime("%Y-%m-%d"), "value": v,
              "direction": "higher"} for d, v in zip(months, values, strict=True)]
    r = real.post("/v1/observations", headers=real.keys["scoring_core"], json={"observations": batch})
    assert r.status_code == 200, r.text
    gap = [a for a in r.json()["alerts"] if a["ds"].startswith("2022-11-01")]
    assert len(gap) == 1 and gap[0]["kind"] == "data_quality" and "2022-11" in gap[0]["reason_en"]

"""Probes and the model list."""

from __future__ import annotations

import numpy as np
import pytest


def test_healthz_needs_no_key(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["X-Request-ID"]


def test_readyz_ready_with_all_models(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    assert body["models"]["forecast"] == "govperf-forecast/3"


def test_readyz_lists_missing_models(make_client, helpers):
    models = helpers.fake_models()
    del models["forecast"], models["feedback"]
    r = make_client(models=models).get("/readyz")
    assert r.status_code == 503
    assert r.json()["missing"] == ["forecast", "feedback"]
    assert r.json()["database"] == "ok"


def test_models_lists_loaded_champions(client, auth):
    r = client.get("/v1/models", headers=auth("handler"))
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 4
    forecast = next(m for m in body["data"] if m["capability"] == "forecast")
    assert forecast == {
        "capability": "forecast",
        "name": "govperf-forecast",
        "version": "3",
        "run_id": "run-forecast",
        "model_version": "govperf-forecast/3",
        "metrics": {"mase": 0.9, "coverage80": None},  # NaN is sent as null
        "live": {"n": 0, "mae": None, "mase": None, "coverage80": None, "coverage95": None},  # nothing scored yet
        "calibration": None,  # the target model's only
    }
    assert next(m for m in body["data"] if m["capability"] == "anomaly")["live"] is None


def test_request_id_is_echoed(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"


def test_models_show_the_target_models_backtest_calibration(make_client, auth):
    from govperf_ml.training import backtest_calibration
    from tests.api.conftest import fake_models

    models = fake_models()
    p = np.array([0.05, 0.1, 0.45, 0.5, 0.9, 0.95])
    y = np.array([0, 0, 1, 0, 1, 1])
    models["targets"].estimator.backtest_calibration_ = backtest_calibration(
        p, y, lambda q: np.where(q >= 0.6, "red", np.where(q >= 0.3, "amber", "green")))
    body = make_client(models=models).get("/v1/models", headers=auth("analyst")).json()
    cal = next(m for m in body["data"] if m["capability"] == "targets")["calibration"]
    assert cal["n"] == 6 and cal["ece"] == pytest.approx((0.05 + 0.1 + 0.55 + 0.5 + 2 * 0.075) / 6)
    assert [b["bin"] for b in cal["reliability"]] == [0, 1, 4, 5, 9]
    assert cal["by_status"] == {"green": {"n": 2, "miss_rate": 0.0}, "amber": {"n": 2, "miss_rate": 0.5},
                                "red": {"n": 2, "miss_rate": 1.0}}
    assert all(m["calibration"] is None for m in body["data"] if m["capability"] != "targets")

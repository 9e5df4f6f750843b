"""Probes and the model list."""

from __future__ import annotations


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
    }
    assert next(m for m in body["data"] if m["capability"] == "anomaly")["live"] is None


def test_request_id_is_echoed(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"

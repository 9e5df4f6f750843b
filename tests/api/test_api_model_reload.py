"""Champions follow the registry's alias without a restart: on demand and periodically."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from govperf_ml import registry
from tests.api.conftest import FakeForecast


def _versions(client, auth) -> dict[str, str]:
    r = client.get("/v1/models", headers=auth("analyst"))
    assert r.status_code == 200
    return {m["capability"]: m["version"] for m in r.json()["data"]}


@pytest.fixture
def store(tmp_path, mlflow_home) -> str:
    """A registry (not the default store) with forecast v1 (champion) and v2 (worse, not promoted)."""
    uri = f"sqlite:///{tmp_path / 'registry' / 'mlflow.db'}"
    (tmp_path / "registry").mkdir()
    for mase in (0.9, 2.0):
        registry.log_and_register("forecast", FakeForecast(), params={}, metrics={"mase": mase}, gate_metric="mase",
                                  greater_is_better=False, uri=uri)
    return uri


@pytest.fixture
def start(settings, api_keys, store):
    """``start(interval_s)``: the app serving the registry's champions."""
    clients = []

    def started(interval_s: float = 0) -> TestClient:
        app = create_app(settings.model_copy(update={"mlflow_tracking_uri": store, "model_reload_interval_s": interval_s}))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield started
    for client in clients:
        client.__exit__(None, None, None)


def test_reload_endpoint_swaps_a_moved_champion(start, store, auth, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="govperf.api.models")
    client = start()
    assert _versions(client, auth) == {"forecast": "1"}
    assert client.post("/v1/admin/models/reload", headers=auth("supervisor")).status_code == 403
    r = client.post("/v1/admin/models/reload", headers=auth("scoring_core"))
    assert r.status_code == 200 and r.json()["swapped"] == []  # nothing moved yet

    registry.promote("forecast", "2", uri=store)
    r = client.post("/v1/admin/models/reload", headers=auth("scoring_core"))
    assert r.status_code == 200
    body = r.json()
    assert body["swapped"] == [{"capability": "forecast", "name": "govperf-forecast", "old_version": "1",
                                "new_version": "2"}]
    assert body["failed"] == [] and body["models"]["forecast"] == "govperf-forecast/2"
    assert "model reload: govperf-forecast v1 -> v2" in caplog.text
    assert _versions(client, auth) == {"forecast": "2"}
    h = [{"unique_id": "a", "ds": f"2024-{m:02d}-01", "y": 10 + m} for m in range(1, 7)]
    r = client.post("/v1/forecasts", headers=auth("analyst"), json={"h": 2, "series": h})
    assert r.status_code == 200 and r.json()["model_version"] == "govperf-forecast/2"

    def broken(*args, **kwargs):
        raise OSError("artifact store unreachable")

    registry.rollback("forecast", uri=store)
    monkeypatch.setattr(registry, "load_champion", broken)
    r = client.post("/v1/admin/models/reload", headers=auth("scoring_core"))
    assert r.status_code == 200
    assert r.json()["swapped"] == [] and r.json()["failed"][0]["version"] == "1"
    assert _versions(client, auth) == {"forecast": "2"}  # the old model is kept
    assert "could not load govperf-forecast v1, keeping v2" in caplog.text


def test_periodic_check_follows_the_alias(start, store, auth):
    client = start(interval_s=0.05)
    assert _versions(client, auth) == {"forecast": "1"}
    registry.promote("forecast", "2", uri=store)
    deadline = time.monotonic() + 15
    while _versions(client, auth) != {"forecast": "2"} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _versions(client, auth) == {"forecast": "2"}
    metrics = client.get("/metrics", headers=auth("analyst")).text
    assert 'govperf_model_info{capability="forecast",version="2"} 1.0' in metrics
    assert 'govperf_model_reloads_total{capability="forecast",outcome="swapped"} 1.0' in metrics


def test_fixed_models_are_not_reloaded(client, auth):
    assert client.post("/v1/admin/models/reload", headers=auth("scoring_core")).status_code == 409


def test_periodic_check_does_not_retry_a_version_that_failed(start, store, auth, monkeypatch):
    client = start(interval_s=0.02)
    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise OSError("artifact store unreachable")

    monkeypatch.setattr(registry, "load_champion", broken)
    registry.promote("forecast", "2", uri=store)
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # many more ticks
    assert len(calls) == 1 and _versions(client, auth) == {"forecast": "1"}
    r = client.post("/v1/admin/models/reload", headers=auth("scoring_core"))  # asked for: tried again
    assert r.status_code == 200 and len(calls) == 2 and r.json()["failed"][0]["version"] == "2"

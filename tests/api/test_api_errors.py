"""Errors: 422 names the field, 503 names the missing model, 500 leaks nothing."""

from __future__ import annotations

import logging

import pytest


def test_pydantic_422_names_the_field(client, auth, helpers):
    r = client.post("/v1/forecasts", headers=auth("analyst"), json={"series": helpers.monthly("a", [1, 2]), "h": 0})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "h"]
    assert "input" not in err  # submitted values are never echoed


def test_pydantic_422_for_a_bad_point_names_its_position(client, auth):
    body = {"series": [{"unique_id": "a", "ds": "not a date", "y": 1}]}
    r = client.post("/v1/anomalies/score", headers=auth("supervisor"), json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "series", 0, "ds"]


def test_unknown_fields_are_rejected(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2]), "h": 2, "horizon": 3}
    r = client.post("/v1/forecasts", headers=auth("analyst"), json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "horizon"]


def test_data_contract_error_is_422_naming_field_and_series(client, auth, helpers):
    body = {"series": helpers.monthly("short-series", [1.0]) + helpers.monthly("ok", [1.0, 2.0]), "h": 2}
    r = client.post("/v1/forecasts", headers=auth("analyst"), json=body)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    msg = "series: series ['short-series'] have fewer than 2 rows"
    assert r.json() == {
        "type": "urn:govperf:problem:data-contract",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": msg,
        "instance": "/v1/forecasts",
        "request_id": r.headers["X-Request-ID"],
        "errors": [{"loc": ["body", "y"], "msg": msg, "type": "data_contract", "ids": ["short-series"]}],
    }


def test_duplicate_points_are_a_data_contract_error(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1.0, 2.0]) * 2}
    r = client.post("/v1/anomalies/score", headers=auth("supervisor"), json=body)
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["type"] == "data_contract"
    assert err["loc"] == ["body", "ds"]
    assert err["ids"] == ["a"]


@pytest.mark.parametrize(
    ("capability", "method", "path", "role", "body"),
    [
        (
            "forecast",
            "POST",
            "/v1/forecasts",
            "analyst",
            {"series": [{"unique_id": "a", "ds": "2024-01-01", "y": 1}], "h": 1},
        ),
        (
            "anomaly",
            "POST",
            "/v1/anomalies/score",
            "supervisor",
            {"series": [{"unique_id": "a", "ds": "2024-01-01", "y": 1}]},
        ),
        (
            "anomaly",
            "POST",
            "/v1/observations",
            "scoring_core",
            {"observations": [{"org_unit": "d", "indicator": "i", "ds": "2024-01-01", "value": 1}]},
        ),
        ("feedback", "POST", "/v1/feedback/classify", "handler", {"messages": [{"text": "hi"}]}),
        ("feedback", "POST", "/v1/feedback/m1/corrections", "handler", {"area": "transport"}),
    ],
)
def test_missing_model_is_503(make_client, auth, helpers, capability, method, path, role, body):
    models = helpers.fake_models()
    del models[capability]
    r = make_client(models=models).request(method, path, headers=auth(role), json=body)
    assert r.status_code == 503
    body = r.json()
    assert body["type"] == "urn:govperf:problem:model-unavailable" and body["status"] == 503
    assert body["detail"] == f"model {capability!r} is not loaded; run `govperf train {capability}`"
    assert r.headers["Retry-After"] == "300"


def test_missing_targets_model_is_503(make_client, auth, helpers):
    models = helpers.fake_models()
    del models["targets"]
    body = {
        "series": helpers.monthly("a", [1.0]),
        "targets": [
            {"unique_id": "a", "target": 2, "deadline": "2024-12-31", "direction": "higher", "aggregation": "last"}
        ],
    }
    r = make_client(models=models).post("/v1/targets/risk", headers=auth("analyst"), json=body)
    assert r.status_code == 503
    assert "govperf train targets" in r.json()["detail"]


def test_unexpected_error_is_a_bare_500(client, auth, helpers, monkeypatch, caplog):
    estimator = client.app.state.models["forecast"].estimator

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(estimator, "forecast", explode)
    with caplog.at_level(logging.ERROR, logger="govperf.api"):
        r = client.post("/v1/forecasts", headers=auth("analyst"), json={"series": helpers.monthly("a", [1, 2]), "h": 1})
    assert r.status_code == 500
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body == {
        "type": "urn:govperf:problem:internal-error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "internal server error",
        "instance": "/v1/forecasts",
        "request_id": r.headers["X-Request-ID"],
    }
    assert "secret" not in r.text and "Traceback" not in r.text
    # the traceback is in the server log, with the request id
    assert any(body["request_id"] in rec.getMessage() and rec.exc_info for rec in caplog.records)

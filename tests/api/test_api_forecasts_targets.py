"""Forecasts and target risk."""

from __future__ import annotations


def test_forecast_shape_and_intervals(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2, 3]) + helpers.monthly("b", [5, 5]), "h": 3, "level": [95, 80]}
    r = client.post("/v1/forecasts", headers=auth("analyst"), json=body)
    assert r.status_code == 200
    out = r.json()
    assert out["model_version"] == "govperf-forecast/3"
    rows = out["forecasts"]
    assert [(p["unique_id"], p["ds"][:10]) for p in rows] == [
        ("a", "2024-04-01"),
        ("a", "2024-05-01"),
        ("a", "2024-06-01"),
        ("b", "2024-03-01"),
        ("b", "2024-04-01"),
        ("b", "2024-05-01"),
    ]
    first = rows[0]
    assert first["mean"] == 3.0
    assert set(first["intervals"]) == {"80", "95"}
    assert first["intervals"]["95"]["lo"] < first["intervals"]["80"]["lo"] < 3 < first["intervals"]["80"]["hi"]


def test_forecast_freq_is_passed(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2]), "h": 2, "freq": "D", "level": [50]}
    rows = client.post("/v1/forecasts", headers=auth("supervisor"), json=body).json()["forecasts"]
    assert [p["ds"][:10] for p in rows] == ["2024-02-02", "2024-02-03"]
    assert set(rows[0]["intervals"]) == {"50"}


def test_forecast_limits(client, auth, helpers):
    series = helpers.monthly("a", [1, 2])
    for bad in ({"h": 1001}, {"h": 2, "level": [100]}, {"h": 2, "level": [0]}):
        r = client.post("/v1/forecasts", headers=auth("analyst"), json={"series": series, **bad})
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"][:2] == ["body", next(iter(set(bad) - {"h"}), "h")]


def target(**kw):
    return {"unique_id": "a", "target": 5, "deadline": "2024-12-31", "direction": "higher", "aggregation": "last"} | kw


def test_target_risk(client, auth, helpers):
    body = {
        "series": helpers.monthly("a", [1, 2, 3]),
        "targets": [target(), target(target=2, target_id="easy", start="2024-01-01")],
        "as_of": "2024-03-31",
    }
    r = client.post("/v1/targets/risk", headers=auth("supervisor"), json=body)
    assert r.status_code == 200
    out = r.json()
    assert out["model_version"] == "govperf-targets/3"
    hard, easy = out["assessments"]
    assert hard["target_id"] == "a@2024-12-31" and hard["status"] == "red" and hard["p_miss"] == 0.8
    assert easy["target_id"] == "easy" and easy["status"] == "green"
    assert hard["required_rate"] is None  # NaN from the model is sent as null
    assert hard["model_version"] == "govperf-targets/3"
    assert hard["reason_zh"] and hard["reason_en"]


def test_target_for_unknown_series_is_422(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2]), "targets": [target(unique_id="zzz")]}
    r = client.post("/v1/targets/risk", headers=auth("analyst"), json=body)
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "unique_id"] and err["ids"] == ["zzz"]


def test_target_start_after_deadline_is_422(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2]), "targets": [target(start="2025-06-01")]}
    r = client.post("/v1/targets/risk", headers=auth("analyst"), json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "start"]


def test_target_bad_aggregation_is_422(client, auth, helpers):
    body = {"series": helpers.monthly("a", [1, 2]), "targets": [target(aggregation="median")]}
    r = client.post("/v1/targets/risk", headers=auth("analyst"), json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "targets", 0, "aggregation"]

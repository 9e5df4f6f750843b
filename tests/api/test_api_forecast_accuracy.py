"""The forecast accuracy watch: stored forecasts meet the actuals ingested later; a model
whose intervals stop holding raises one model_drift alert per series."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from api.db import Alert, Forecast

H = 14


def store_run(client, auth, helpers, ids=("D01|hotline", "D02|hotline")):
    """A forecast run (fake model: last value, 80 % interval ±8, 95 % ±9.5) of daily series."""
    days = pd.date_range("2025-01-01", periods=30, freq="D")
    series = [{"unique_id": uid, "ds": d.strftime("%Y-%m-%d"), "y": 100.0 + (i % 7)}
              for uid in ids for i, d in enumerate(days)]
    r = client.post("/v1/forecast-runs", headers=auth("analyst"), json={"series": series, "h": H, "freq": "D"})
    assert r.status_code == 201, r.text
    return pd.date_range(days[-1], periods=H + 1, freq="D")[1:]


def post_actuals(client, auth, org_unit, days, values):
    body = {"observations": [{"org_unit": org_unit, "indicator": "hotline", "ds": d.strftime("%Y-%m-%d"), "value": v}
                             for d, v in zip(days, values, strict=True)]}
    r = client.post("/v1/observations", headers=auth("scoring_core"), json=body)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["alerts"] if a["kind"] == "model_drift"]


def test_actuals_score_stored_forecasts_and_drift_raises_one_alert(client, auth, helpers, db):
    days = store_run(client, auth, helpers)
    assert {f.scale for f in db.scalars(select(Forecast))} != {None}  # MASE's scale kept with the forecast
    last = 100.0 + (29 % 7)
    assert post_actuals(client, auth, "D01", days, [last + 1.0] * H) == []  # inside the interval: no drift
    drifted = post_actuals(client, auth, "D02", days, [last + 50.0] * H)  # far outside, all of them
    assert len(drifted) == 1
    alert = drifted[0]
    assert alert["unique_id"] == "D02|hotline" and alert["indicator"] == "hotline"
    assert "accuracy_watch:coverage80" in alert["detectors"] and "80 %" in alert["reason_en"]
    assert alert["severity"] == "high"  # 80 % and 95 % coverage and MASE all drifted

    # a correction of one value re-scores, but the active alert is not raised again
    assert post_actuals(client, auth, "D02", days[:1], [last + 60.0]) == []
    assert db.count(Alert) >= 1 and len(db.scalars(select(Alert).where(Alert.kind == "model_drift"))) == 1

    r = client.get("/v1/forecasts/accuracy", headers=auth("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    groups = {g["key"]: g for g in body["groups"]}
    assert groups["D01|hotline"]["coverage80"] == 1.0 and groups["D02|hotline"]["coverage80"] == 0.0
    assert body["overall"]["n"] == 2 * H and body["backtest"]["mase"] == 0.9
    by_run = client.get("/v1/forecasts/accuracy", headers=auth("analyst"), params={"by": "run"}).json()
    assert by_run["count"] == 1 and by_run["groups"][0]["n"] == 2 * H

    card = client.get("/v1/models", headers=auth("analyst")).json()
    live = next(m for m in card["data"] if m["capability"] == "forecast")["live"]
    assert live["n"] == 2 * H and live["coverage80"] == 0.5


def test_accuracy_with_nothing_scored_and_bad_grouping(client, auth):
    r = client.get("/v1/forecasts/accuracy", headers=auth("analyst"))
    assert r.status_code == 200 and r.json()["overall"]["n"] == 0 and r.json()["groups"] == []
    bad = client.get("/v1/forecasts/accuracy", headers=auth("analyst"), params={"by": "district"})
    assert bad.status_code == 422 and "by" in bad.text

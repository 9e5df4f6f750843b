"""POST /v1/forecasts with a forecaster trained on an exogenous column."""

from __future__ import annotations

import pytest

from govperf_ml.registry import LoadedModel
from tests.api.conftest import fake_models
from tests.unit.forecasting.test_exog import CUT, H, campaigns, model


@pytest.fixture(scope="module")
def exog_model():
    df = campaigns(n_series=3)
    hist = df[df["ds"] < CUT]
    fut = df[df["ds"] >= CUT].groupby("unique_id").head(H)
    est = model(exog=["campaign"]).fit(hist)
    return est, hist, fut


@pytest.fixture
def exog_client(make_client, exog_model):
    models = fake_models()
    models["forecast"] = LoadedModel(capability="forecast", name="govperf-forecast", version="7", run_id="r",
                                     estimator=exog_model[0], metrics={"mase": 0.5})
    return make_client(models=models)


def body(hist, fut, **kw):
    series = [{"unique_id": r.unique_id, "ds": r.ds.isoformat(), "y": r.y, "x": {"campaign": r.campaign}}
              for r in hist.itertuples()]
    future = [{"unique_id": r.unique_id, "ds": r.ds.isoformat(), "x": {"campaign": r.campaign}}
              for r in fut.itertuples()]
    return {"series": series, "future": future, "h": H} | kw


def test_forecast_with_future_exogenous_values(exog_client, auth, exog_model):
    est, hist, fut = exog_model
    r = exog_client.post("/v1/forecasts", headers=auth("analyst"), json=body(hist, fut))
    assert r.status_code == 200, r.text
    rows = r.json()["forecasts"]
    assert len(rows) == 3 * H and r.json()["model_version"] == "govperf-forecast/7"
    # the same numbers as the library gives
    lib = est.forecast(hist, h=H, X_df=fut[["unique_id", "ds", "campaign"]])
    assert rows[0]["mean"] == pytest.approx(float(lib["LGBM"].iloc[0]), rel=1e-6)


def test_exogenous_errors_are_422_with_the_field(exog_client, client, auth, exog_model, helpers):
    _, hist, fut = exog_model
    post = lambda c, b: c.post("/v1/forecasts", headers=auth("analyst"), json=b)  # noqa: E731
    r = post(exog_client, body(hist, fut, future=None))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "future"]
    short = body(hist, fut.iloc[:-1])
    r = post(exog_client, short)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "future"]
    assert r.json()["errors"][0]["ids"] == [fut["unique_id"].iloc[-1]]
    b = body(hist, fut)
    b["future"][0]["x"] = {"weather": 3.0}
    r = post(exog_client, b)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "x"]
    b = body(hist, fut)
    b["future"][0]["x"]["campaign"] = "yes"
    assert post(exog_client, b).status_code == 422
    # the fake (exogenous-free) model refuses x values it cannot use
    plain = {"series": [p | {"x": {"campaign": 1}} for p in helpers.monthly("a", [1, 2, 3])], "h": 2}
    r = post(client, plain)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "x"]

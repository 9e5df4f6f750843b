"""Save/load round trip through MLflow for every model, and the promotion gate."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml import registry, training
from govperf_ml.targets.risk import TargetRiskModel


@pytest.fixture(scope="module")
def results(city):
    dirs = dict(zip(city.indicators["unique_id"], city.indicators["direction"]))
    few = city.series[city.series["unique_id"].isin(city.series["unique_id"].unique()[:60])]
    labels = city.anomalies[city.anomalies["unique_id"].isin(few["unique_id"])]
    demand = city.demand[city.demand["unique_id"].isin(city.demand["unique_id"].unique()[:4])]
    return {
        "anomaly": training.train_anomaly(few, labels, dirs),
        "forecast": training.train_forecast(demand),
        "targets": training.train_targets(city.series, city.targets,
                                          estimator=TargetRiskModel(max_synthetic=300, n_estimators=60)),
        "feedback": training.train_feedback(city.feedback),
    }


def _register(res):
    return registry.log_and_register(
        res.capability, res.estimator, params=res.params, metrics=res.metrics, gate_metric=res.gate_metric,
        greater_is_better=res.greater_is_better, promote_on_tie=res.promote_on_tie,
    )


def test_round_trip_every_model(results, city, mlflow_home):
    for cap, res in results.items():
        reg = _register(res)
        assert reg.promoted and reg.version == "1"
    loaded = registry.load_champions()
    assert set(loaded) == set(registry.CAPABILITIES)
    assert all(m.label.endswith("/1") for m in loaded.values())
    assert (mlflow_home / "mlflow" / "mlflow.db").exists()

    series = city.series[city.series["unique_id"] == city.series["unique_id"].iloc[0]]
    pd.testing.assert_frame_equal(loaded["anomaly"].estimator.score(series), results["anomaly"].estimator.score(series))
    demand = city.demand[city.demand["unique_id"] == city.demand["unique_id"].iloc[0]]
    pd.testing.assert_frame_equal(loaded["forecast"].estimator.forecast(demand, h=7),
                                  results["forecast"].estimator.forecast(demand, h=7))
    tg = city.targets.head(5)
    pd.testing.assert_frame_equal(loaded["targets"].estimator.assess(city.series, tg),
                                  results["targets"].estimator.assess(city.series, tg))
    msgs = city.feedback.head(10)
    np.testing.assert_allclose(loaded["feedback"].estimator.predict_proba(msgs["text"]),
                               results["feedback"].estimator.predict_proba(msgs["text"]))
    assert loaded["forecast"].metrics["mase"] == pytest.approx(results["forecast"].metrics["mase"])


def test_gate_promotes_only_better(results, mlflow_home):
    res = results["forecast"]
    first = _register(res)
    worse = training.TrainResult(**{**res.__dict__, "metrics": {**res.metrics, "mase": res.metrics["mase"] + 1}})
    second = _register(worse)
    assert first.promoted and not second.promoted
    assert str(registry.champion_version("forecast").version) == first.version
    better = training.TrainResult(**{**res.__dict__, "metrics": {**res.metrics, "mase": res.metrics["mase"] - 0.1}})
    third = _register(better)
    assert third.promoted and str(registry.champion_version("forecast").version) == third.version
    listing = registry.list_models()
    assert listing[listing.capability == "forecast"]["champion"].tolist() == [False, False, True]


def test_feedback_tie_is_promoted(results, mlflow_home):
    res = results["feedback"]
    assert _register(res).promoted
    assert _register(res).promoted  # a retrain that does not get worse is kept


def test_champion_of_another_release_is_refused_and_replaced(results, mlflow_home, monkeypatch, caplog):
    first = _register(results["feedback"])
    assert first.promoted
    monkeypatch.setattr(registry, "__version__", "9.9.9")  # this code is now another release
    with pytest.raises(registry.StaleModelError, match=r"govperf train feedback"):
        registry.load_champion("feedback")
    assert "feedback" not in registry.load_champions()
    assert "retrain it with `govperf train feedback`" in caplog.text
    assert "feedback" in registry.missing_champions()
    second = _register(results["feedback"])  # the gate does not compare with a stale champion
    assert second.promoted and second.champion_before == first.version
    assert registry.load_champion("feedback").version == second.version
    assert "feedback" not in registry.missing_champions()

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
        "forecast": training.train_forecast(demand, h=7, history_days=180),  # the round trip, not accuracy
        "targets": training.train_targets(city.series, city.targets,
                                          estimator=TargetRiskModel(max_synthetic=300, n_estimators=60)),
        "feedback": training.train_feedback(city.feedback.groupby("area").head(20)),  # the round trip, not accuracy
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
    cal = loaded["targets"].estimator.backtest_calibration_  # the model card's calibration travels with the model
    assert cal["ece"] == pytest.approx(results["targets"].metrics["ece"])
    assert sum(b["count"] for b in cal["reliability"]) == cal["n"] == sum(s["n"] for s in cal["by_status"].values())


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


class Tiny:
    """A stand-in estimator: registering it takes a fraction of a second."""

    def __init__(self, tag=0):
        self.tag = tag


def _tiny(capability="forecast", mase=1.0, uri=None):
    return registry.log_and_register(capability, Tiny(mase), params={}, metrics={"mase": mase}, gate_metric="mase",
                                     greater_is_better=False, uri=uri)


def _champion(capability="forecast", uri=None) -> str:
    return str(registry.champion_version(capability, uri=uri).version)


def test_promote_and_rollback_move_the_alias_and_remember_history(mlflow_home):
    assert [_tiny(mase=m).promoted for m in (1.0, 0.9, 2.0)] == [True, True, False]  # v1, v2 champions; v3 not
    assert _champion() == "2"
    move = registry.promote("govperf-forecast", "3")  # the registered name or the capability
    assert (move.before, move.after, move.changed) == ("2", "3", True)
    assert registry.load_champion("forecast").version == "3"
    assert registry.rollback("forecast").after == "2" and _champion() == "2"
    assert registry.rollback("forecast").after == "1"  # the gate's own moves are remembered too
    with pytest.raises(registry.RegistryError, match="no earlier champion"):
        registry.rollback("forecast")
    assert _champion() == "1"
    again = registry.rollback("forecast", "3")  # a named version: as promote
    assert (again.after, again.action) == ("3", "rollback")
    assert registry.rollback("forecast").after == "1"
    assert not registry.promote("forecast", "1").changed  # already champion: nothing moves


def test_promote_refuses_unknown_names_versions_and_other_releases(mlflow_home, monkeypatch):
    _tiny()
    with pytest.raises(registry.RegistryError, match="unknown model 'forcast'"):
        registry.promote("forcast", "1")
    with pytest.raises(registry.RegistryError, match=r"no version '7' \(versions: 1\)"):
        registry.promote("forecast", "7")
    with pytest.raises(registry.RegistryError, match="no version 'latest'"):
        registry.promote("forecast", "latest")
    with pytest.raises(registry.RegistryError, match="no registered versions"):
        registry.promote("anomaly", "1")
    monkeypatch.setattr(registry, "__version__", "9.9.9")
    with pytest.raises(registry.RegistryError, match="govperf train forecast"):
        registry.promote("forecast", "1")


def test_an_explicit_uri_is_used_throughout(tmp_path, mlflow_home):
    uri = f"sqlite:///{tmp_path / 'elsewhere.db'}"  # not the default store of GOVPERF_HOME
    _tiny(uri=uri)
    _tiny(mase=2.0, uri=uri)
    assert registry.promote("forecast", "2", uri=uri).changed
    assert registry.load_champion("forecast", uri=uri).version == "2"  # the release check reads the same store
    assert registry.missing_champions(uri=uri) == ["anomaly", "targets", "feedback"]

import copy

import numpy as np
import pandas as pd
import pytest

from govperf_ml.targets.features import assessment_features, forecast_probability
from govperf_ml.targets.forecast_prob import forecast_paths, period_means
from govperf_ml.targets.risk import TargetRiskModel
from tests.unit.test_target_risk import panel, targets


def p_forecast(y, target, direction="higher", aggregation="mean", period_len=6, gap=0, done=np.empty(0)):
    paths = forecast_paths(y, horizon=gap + period_len, season=12)
    return forecast_probability(paths, target=target, direction=direction, aggregation=aggregation,
                                period_len=period_len, gap=gap, done=done)


@pytest.fixture(scope="module")
def steady():
    return 100 + np.random.default_rng(0).normal(0, 2, 48)


def test_far_above_the_target_is_near_0_and_far_below_near_1(steady):
    assert p_forecast(steady, 70) < 0.02
    assert p_forecast(steady, 130) > 0.98
    assert p_forecast(steady, 130, direction="lower") < 0.02
    centre = np.median(period_means(forecast_paths(steady, horizon=6, season=12), gap=0, period_len=6))
    assert 0.4 < p_forecast(steady, centre) < 0.6


def test_probability_rises_with_the_target(steady):
    p = [p_forecast(steady, t) for t in (94, 98, 100, 102, 106)]
    assert np.all(np.diff(p) >= 0) and p[-1] - p[0] > 0.5


def test_done_values_count_in_a_sum(steady):
    # 6 values of ~100 still to come: a sum target of 900 is missed without what is done, met with 400 done
    assert p_forecast(steady, 900, aggregation="sum") > 0.95
    assert p_forecast(steady, 900, aggregation="sum", done=np.full(4, 100.0)) < 0.05


@pytest.mark.parametrize("y", [[100.0, 101.0, 99.0], [5.0], [7.0, 7.0, 7.0, 7.0], []])
def test_short_or_flat_histories_do_not_crash(y):
    paths = forecast_paths(np.array(y), horizon=4, season=12)
    assert paths.shape == (200, 4) and np.isfinite(paths).all()
    p = p_forecast(np.array(y), 50.0, period_len=4)
    assert 0 < p < 1


def test_a_3_period_series_still_orders_targets():
    y = np.array([100.0, 102.0, 98.0])
    assert p_forecast(y, 60) < 0.1 < 0.9 < p_forecast(y, 140)


def test_paths_are_seeded_and_period_means_take_the_window():
    a = forecast_paths(np.arange(30.0) % 7 + 50, horizon=5, season=7)
    b = forecast_paths(np.arange(30.0) % 7 + 50, horizon=5, season=7)
    assert np.array_equal(a, b)
    paths = np.tile(np.arange(5.0), (3, 1))
    assert np.allclose(period_means(paths, gap=2, period_len=2), 2.5)
    assert np.allclose(period_means(paths, gap=9, period_len=2), 4.0)  # past the paths: the last step


def test_features_add_p_forecast_only_with_paths(steady):
    kw = dict(target=130, direction="higher", aggregation="mean", baseline=100, period_len=6, gap=0,
              done=np.empty(0), elapsed=0.5, season=12)
    assert "p_forecast" not in assessment_features(steady, **kw)
    f = assessment_features(steady, paths=forecast_paths(steady, horizon=6, season=12), **kw)
    assert f["p_forecast"] > 0.98


@pytest.fixture(scope="module")
def forecast_model():
    return TargetRiskModel(max_synthetic=400, min_episodes=100, n_estimators=40, shrink_towards="forecast",
                           features=TargetRiskModel().features + ("p_forecast",)).fit(panel(n_series=6))


def test_model_with_the_forecaster_as_input_orders_targets(forecast_model):
    hist = panel(n_series=6)
    hist = hist[hist["ds"] <= "2024-09-01"]
    last = hist[hist.unique_id == "s0"]["y"].iloc[-6:].mean()
    out = forecast_model.assess(hist, targets([last * 0.8, last * 1.2]))
    assert out["p_miss"].iloc[0] < 0.3 < 0.7 < out["p_miss"].iloc[1]


def test_little_history_takes_the_forecasters_interval_and_says_so(forecast_model):
    model = copy.deepcopy(forecast_model)
    hist = panel(n_series=6)
    short = hist[(hist.unique_id == "s0") & (hist.ds >= "2024-04-01") & (hist.ds <= "2024-09-01")]  # 6 months
    last = short["y"].iloc[-6:].mean()  # 2 past origins for the 4 months to come
    out = model.assess(short, targets([last * 0.7, last * 1.4]))
    assert out["reason_en"].str.startswith("Little history: probability from the forecaster's interval").all()
    assert out["reason_zh"].str.startswith("历史数据较少：概率取自预测模型的预测区间").all()
    assert out["p_miss"].iloc[0] < 0.3 < 0.7 < out["p_miss"].iloc[1]
    model.set_params(shrink_towards="auto")  # the empirical reference: the usual words
    assert not model.assess(short, targets([last * 0.7]))["reason_en"].str.contains("from the forecaster").any()


def test_forecast_reference_replaces_only_few_origin_rows():
    model = TargetRiskModel().fit_features(pd.DataFrame(), np.empty(0))
    X = pd.DataFrame({"p_empirical": [0.2, 0.2, 0.2], "p_forecast": [0.9, 0.9, np.nan], "n_origins": [2, 50, 2],
                      "horizon": [6, 6, 6], "volatility": [0.1, 0.1, 0.1]})
    ref = model._own_probability(X, forecast=True)
    assert np.allclose(ref, [0.9, 0.2, 0.2])
    assert np.allclose(model._own_probability(X, forecast=False), 0.2)

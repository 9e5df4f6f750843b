import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.targets.features import FEATURES, assessment_features, empirical_ratios
from govperf_ml.targets.risk import TargetRiskModel


def panel(n_series=12, n=72, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2019-01-01", periods=n, freq="MS")
    parts = []
    for i in range(n_series):
        trend = rng.normal(0, 0.3)
        y = 50 + trend * np.arange(n) + 3 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 1, n)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def test_empirical_ratios_constant_series():
    r = empirical_ratios(np.full(50, 10.0), base_len=4, gap=0, period_len=3)
    assert len(r) > 0 and np.allclose(r, 1.0)


def test_features_probability_moves_with_target():
    y = 100 + np.random.default_rng(0).normal(0, 1, 80)
    easy = assessment_features(y, target=90, direction="higher", aggregation="mean", baseline=100, period_len=6,
                               gap=0, done=np.empty(0), elapsed=0.5, season=12)
    hard = assessment_features(y, target=110, direction="higher", aggregation="mean", baseline=100, period_len=6,
                               gap=0, done=np.empty(0), elapsed=0.5, season=12)
    assert easy["p_empirical"] < 0.1 < 0.9 < hard["p_empirical"]
    assert set(FEATURES) <= set(easy)
    lower = assessment_features(y, target=110, direction="lower", aggregation="mean", baseline=100, period_len=6,
                                gap=0, done=np.empty(0), elapsed=0.5, season=12)
    assert lower["p_empirical"] < 0.1


@pytest.fixture(scope="module")
def model():
    return TargetRiskModel(max_synthetic=600, min_episodes=100, n_estimators=60).fit(panel())


def targets(values, direction="higher", aggregation="mean"):
    return pd.DataFrame({"unique_id": ["s0"] * len(values), "target": values, "start": "2024-06-30",
                         "deadline": "2024-12-31", "direction": direction, "aggregation": aggregation,
                         "target_id": [f"t{i}" for i in range(len(values))]})


def test_risk_model_orders_targets_and_explains(model):
    hist = panel()
    hist = hist[hist["ds"] <= "2024-09-01"]
    last = hist[hist.unique_id == "s0"]["y"].iloc[-6:].mean()
    out = model.assess(hist, targets([last * 0.8, last, last * 1.2]))
    assert out["p_miss"].is_monotonic_increasing
    assert ((out["p_miss"] >= 0) & (out["p_miss"] <= 1)).all()
    assert out["status"].iloc[0] == "green" and out["status"].iloc[-1] == "red"
    assert out["reason_en"].str.contains("chance of missing").all()
    assert out["reason_zh"].str.contains("未达标概率").all()
    assert (out["projected_lo"] <= out["projected_hi"]).all()


def test_status_cut_offs_are_configurable(model):
    p = np.array([0.1, 0.35, 0.7])
    assert model.status(p).tolist() == ["green", "amber", "red"]
    strict = TargetRiskModel(red=0.3, amber=0.05)
    assert strict.status(p).tolist() == ["amber", "red", "red"]


def test_without_enough_episodes_falls_back_to_empirical():
    m = TargetRiskModel(max_synthetic=50, min_episodes=10_000).fit(panel(n_series=3))
    assert m.model_ is None
    hist = panel(n_series=3)
    out = m.assess(hist, targets([1e6]))
    assert out["p_miss"].iloc[0] > 0.9


def test_unknown_series_and_unfitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TargetRiskModel().assess(panel(), targets([1.0]))
    with pytest.raises(DataContractError, match="no history"):
        TargetRiskModel(max_synthetic=50, min_episodes=10_000).fit(panel(n_series=2)).assess(
            panel(n_series=2), targets([1.0]).assign(unique_id="zzz"))


def one_target(**kw):
    base = {"target_id": "T", "unique_id": "s0", "target": 60.0, "deadline": "2026-06-30", "direction": "higher",
            "aggregation": "last"}
    return pd.DataFrame([{**base, **kw}])


@pytest.mark.parametrize("history, target, field, message", [
    (None, {"deadline": "2018-06-30"}, "deadline", "before the series' first value"),
    ("gap", {"start": "2020-03-15", "deadline": "2020-08-31", "aggregation": "mean"}, "start", "has no observed value"),
    ("rate", {"unique_id": "s0|on_time_rate", "target": 0.0}, "target", "ratio indicator"),
    ("rate", {"unique_id": "s0|on_time_rate", "target": -5.0, "direction": "lower"}, "target", "ratio indicator"),
])
def test_targets_that_cannot_be_judged_are_refused_by_target_id(model, history, target, field, message):
    hist = panel(n_series=1)
    if history == "gap":  # no values from April to September 2020
        hist = hist[~hist["ds"].between("2020-04-01", "2020-09-01")]
    if history == "rate":
        hist = hist.assign(unique_id="s0|on_time_rate")
    with pytest.raises(DataContractError, match=message) as err:
        model.assess(hist, one_target(**target))
    assert err.value.field == field and err.value.ids == ["T"]


def test_a_future_window_without_values_yet_is_fine(model):
    out = model.assess(panel(n_series=1), one_target(start="2026-01-15", aggregation="mean"))
    assert out["p_miss"].between(0, 1).all()


def test_too_little_history_takes_the_pace_rule_and_says_so(model):
    short = panel(n_series=1).head(2)
    out = model.assess(short, one_target(target=1000.0)).iloc[0]
    assert out["p_miss"] == pytest.approx(model.pace_.miss_rate_[out["pace_status"]])
    assert "too little history" in out["reason_en"].lower() and "历史数据太少" in out["reason_zh"]
    assert "too little history" not in model.assess(panel(n_series=1), one_target()).iloc[0]["reason_en"].lower()


@pytest.mark.parametrize("towards, says", [("pace", "the pace rule"),
                                           ("empirical", "the series' own empirical probability")])
def test_little_history_shrinks_towards_the_reference_and_says_so(model, towards, says):
    import copy

    model = copy.deepcopy(model).set_params(shrink_towards=towards)  # read at prediction: no refit
    hist = panel()
    short = hist[(hist.unique_id == "s0") & (hist.ds >= "2024-01-01") & (hist.ds <= "2024-09-01")]  # 9 months
    last = short["y"].iloc[-6:].mean()
    tg = targets([last * 0.7, last * 1.4])
    out = model.assess(short, tg)
    assert out["reason_en"].str.startswith(f"Little history: probability shrunk towards {says}").all()
    assert out["reason_zh"].str.startswith("历史数据较少").all()
    X = pd.DataFrame([model._features(t, model._series_info(short)["s0"], pd.Timestamp("2024-09-01"))
                      for t in tg.assign(start=pd.Timestamp("2024-06-30"), deadline=pd.Timestamp("2024-12-31"))
                      .to_dict("records")])
    raw = model.predict_features(X)
    ref = model.reference(X, out["pace_status"].map(model.pace_.miss_rate_).to_numpy(float))
    # the shrunk probability lies between the classifier's and the reference
    assert ((out["p_miss"] - raw) * (out["p_miss"] - ref) <= 1e-12).all()
    assert not np.allclose(out["p_miss"], raw)
    full = model.assess(hist[hist.ds <= "2024-09-01"], tg)  # 69 months of its own history
    assert not full["reason_en"].str.contains("Little history").any()

"""Global LightGBM, statsforecast wrappers, conformal intervals and the backtest ensemble."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting import SeasonalNaiveForecaster
from govperf_ml.forecasting.ensemble import BacktestEnsemble, rolling_backtest
from govperf_ml.forecasting.intervals import ConformalIntervals, noise_scale
from govperf_ml.forecasting.lgbm import LGBMForecaster
from govperf_ml.forecasting.lgbm_features import design_matrix
from tests.conftest import make_panel

H = 6


def hourly(n_series=4, n=150, seed=0):
    """Small seeded hourly panel: daily cycle, different levels, noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-03-01", periods=n, freq="h")
    parts = []
    for i in range(n_series):
        t = np.arange(n)
        y = (10 + 5 * i) * (1 + 0.3 * np.sin(2 * np.pi * t / 24 + i)) + rng.normal(0, 0.5, n)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def small_lgbm(**kw):
    reg = LGBMRegressor(n_estimators=15, num_leaves=7, min_child_samples=5, n_jobs=1, verbose=-1)
    return LGBMForecaster(h=H, regressor=reg, max_rows=20_000, **kw)


@pytest.fixture(scope="module")
def panel_h():
    return hourly()


@pytest.fixture(scope="module")
def fitted(panel_h):
    return small_lgbm().fit(panel_h)


def test_lgbm_h_rows_per_series_and_dates(fitted, panel_h):
    fc = fitted.forecast(panel_h, h=H)
    assert fc.groupby("unique_id").size().eq(H).all()
    last = panel_h.groupby("unique_id")["ds"].max()
    first = fc.groupby("unique_id")["ds"].min()
    assert (first == last + pd.Timedelta(hours=1)).all()
    assert fc["LGBM"].notna().all()


def test_lgbm_longer_horizon_than_trained(fitted, panel_h):
    fc = fitted.forecast(panel_h, h=2 * H + 1)
    assert fc.groupby("unique_id").size().eq(2 * H + 1).all()
    assert fc["LGBM"].notna().all()


def test_lgbm_intervals_nest(fitted, panel_h):
    fc = fitted.forecast(panel_h, h=H, level=[80, 95])
    assert (fc["LGBM-lo-95"] <= fc["LGBM-lo-80"] + 1e-9).all()
    assert (fc["LGBM-lo-80"] <= fc["LGBM"] + 1e-9).all()
    assert (fc["LGBM"] <= fc["LGBM-hi-80"] + 1e-9).all()
    assert (fc["LGBM-hi-80"] <= fc["LGBM-hi-95"] + 1e-9).all()


def test_lgbm_no_leakage_from_the_future(panel_h):
    """Features and forecasts from an origin do not change when later values change."""
    model = small_lgbm(n_windows=0, calendar=False).fit(panel_h)
    y = panel_h[panel_h.unique_id == "s0"]["y"].to_numpy()
    origins = np.array([60, 80, 100])
    altered = y.copy()
    altered[101:] = 1e6
    X1, s1, _ = design_matrix(model._spec(), y, None, origins, np.arange(1, H + 1))
    X2, s2, _ = design_matrix(model._spec(), altered, None, origins, np.arange(1, H + 1))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(s1, s2)
    cut = panel_h[panel_h["ds"] <= panel_h["ds"].min() + pd.Timedelta(hours=100)]
    fc1 = model.forecast(cut, h=H)
    longer = panel_h[panel_h["ds"] <= panel_h["ds"].min() + pd.Timedelta(hours=100 + H)].copy()
    longer.loc[longer["ds"] > cut["ds"].max(), "y"] = 1e6  # the values being forecast
    fc2 = model.forecast(longer[longer["ds"] <= cut["ds"].max()], h=H)
    pd.testing.assert_frame_equal(fc1, fc2)


def test_lgbm_backtest_uses_training_only(panel_h):
    """The backtest's model never sees the windows it is scored on."""
    model = small_lgbm(n_windows=2).fit(panel_h)
    bt = model.backtest_
    assert set(bt["step"]) == set(range(1, H + 1))
    assert bt["cutoff"].nunique() == 2
    altered = panel_h.copy()
    last = altered.groupby("unique_id")["ds"].transform("max")
    altered.loc[altered["ds"] > last - pd.Timedelta(hours=2 * H), "y"] *= 10  # the two held-out windows
    bt2 = small_lgbm(n_windows=2).fit(altered).backtest_
    first = bt["cutoff"] == bt["cutoff"].min()
    np.testing.assert_allclose(bt.loc[first, "LGBM"], bt2.loc[first, "LGBM"])


def test_lgbm_pickle_round_trip(fitted, panel_h, tmp_path):
    path = tmp_path / "lgbm.pkl"
    path.write_bytes(pickle.dumps(fitted))
    loaded = pickle.loads(path.read_bytes())
    pd.testing.assert_frame_equal(fitted.forecast(panel_h, h=H), loaded.forecast(panel_h, h=H))


def test_any_sklearn_regressor_plugs_in(panel_h):
    # early windows hold NaN lags: regressors without native NaN support go in a pipeline
    reg = make_pipeline(SimpleImputer(strategy="constant", fill_value=1.0, keep_empty_features=True), Ridge(alpha=1.0))
    model = LGBMForecaster(h=H, regressor=reg, n_windows=1, alias="Ridge").fit(panel_h)
    fc = model.forecast(panel_h, h=H)
    assert {"Ridge", "Ridge-lo-95", "Ridge-hi-80"} <= set(fc.columns)
    assert fc.groupby("unique_id").size().eq(H).all()


def test_lgbm_scale_free(panel_h):
    """Per-window scaling: multiplying every series by a constant multiplies the forecasts."""
    a = small_lgbm(n_windows=0).fit(panel_h).forecast(panel_h, h=H)
    scaled = panel_h.assign(y=panel_h["y"] * 1000)
    b = small_lgbm(n_windows=0).fit(scaled).forecast(scaled, h=H)
    np.testing.assert_allclose(b["LGBM"].to_numpy(), a["LGBM"].to_numpy() * 1000, rtol=1e-3)


def test_lgbm_monthly_with_calendar():
    df = make_panel(n_series=3, n=48)
    reg = LGBMRegressor(n_estimators=10, min_child_samples=3, n_jobs=1, verbose=-1)
    fc = LGBMForecaster(h=4, regressor=reg, n_windows=1).fit(df).forecast(df, h=4)
    assert fc.groupby("unique_id").size().eq(4).all()
    assert fc[fc.unique_id == "s0"]["ds"].dt.strftime("%Y-%m-%d").tolist()[0] == "2025-01-01"


def test_lgbm_errors_name_the_problem(panel_h):
    with pytest.raises(DataContractError, match="h"):
        small_lgbm().fit(panel_h).forecast(panel_h, h=0)
    with pytest.raises(DataContractError, match="too short"):
        small_lgbm().fit(panel_h.groupby("unique_id").head(1))


def test_conformal_quantiles_grow_and_cover():
    rng = np.random.default_rng(1)
    steps = np.repeat(np.arange(1, 5), 400)
    errors = pd.DataFrame({"step": steps, "error": rng.normal(0, 1, len(steps)) * np.sqrt(steps)})
    ci = ConformalIntervals(level=(80, 95)).fit(errors)
    lo95, hi95 = ci.offsets(4, 95)
    lo80, hi80 = ci.offsets(4, 80)
    assert np.all(np.diff(hi95) >= 0) and np.all(hi95 >= hi80) and np.all(lo95 <= lo80)
    assert 1.6 < hi95[0] < 2.4
    lo, hi = ci.offsets(8, 95)  # past the calibrated steps it keeps widening
    assert hi[-1] > hi[3]


def test_noise_scale_never_zero():
    assert noise_scale(np.ones(30), 7) > 0
    assert noise_scale(np.array([]), 7) == 1.0


def test_rolling_backtest_generic(panel_h):
    bt = rolling_backtest(SeasonalNaiveForecaster(season_length=24), panel_h, h=H, n_windows=2)
    assert bt.groupby(["unique_id", "cutoff"]).size().eq(H).all()
    assert bt["cutoff"].nunique() == 2
    assert (bt["ds"] > bt["cutoff"]).all()


def test_ensemble_contract_and_pickle(panel_h, tmp_path):
    ens = BacktestEnsemble(
        members=[small_lgbm(), SeasonalNaiveForecaster(season_length=24)], h=H, n_windows=2, keep_members=True
    ).fit(panel_h)
    fc = ens.forecast(panel_h, h=H)
    assert fc.groupby("unique_id").size().eq(H).all()
    assert {"Ensemble", "Ensemble-lo-95", "LGBM", "SeasonalNaive"} <= set(fc.columns)
    assert (fc["Ensemble-lo-95"] <= fc["Ensemble-lo-80"] + 1e-9).all()
    assert (fc["Ensemble-hi-80"] <= fc["Ensemble-hi-95"] + 1e-9).all()
    assert ens.choice_ in ens.candidates_
    loaded = pickle.loads(pickle.dumps(ens))
    pd.testing.assert_frame_equal(fc, loaded.forecast(panel_h, h=H))


def test_ensemble_per_series_and_bad_method(panel_h):
    ens = BacktestEnsemble(members=[small_lgbm(), SeasonalNaiveForecaster(season_length=24)], h=H,
                           method="per_series").fit(panel_h)
    assert set(ens.per_series_.index) == set(panel_h["unique_id"])
    assert ens.forecast(panel_h, h=H)["Ensemble"].notna().all()
    with pytest.raises(DataContractError, match="method"):
        BacktestEnsemble(members=[small_lgbm()], h=H, method="vote").fit(panel_h)


def test_stats_forecaster_native_and_conformal(panel_h):
    pytest.importorskip("statsforecast")
    from govperf_ml.forecasting.stats import StatsForecaster

    native = StatsForecaster(model="AutoTheta", season_length=24).fit(panel_h).forecast(panel_h, h=H)
    assert native.groupby("unique_id").size().eq(H).all()
    assert (native["AutoTheta-lo-95"] <= native["AutoTheta-lo-80"] + 1e-9).all()
    conf = StatsForecaster(model="SeasonalNaive", season_length=24, intervals="conformal", h=H).fit(panel_h)
    fc = conf.forecast(panel_h, h=H)
    assert (fc["SeasonalNaive-hi-95"] >= fc["SeasonalNaive-hi-80"]).all()
    bt = conf.backtest(panel_h, h=H, n_windows=2)
    assert bt["cutoff"].nunique() == 2 and (bt["ds"] > bt["cutoff"]).all()
    loaded = pickle.loads(pickle.dumps(conf))
    pd.testing.assert_frame_equal(fc, loaded.forecast(panel_h, h=H))


def test_lgbm_seasonal_stats_and_regressor_params(panel_h):
    """seasonal_stats adds each period's mean (and median) of the aligned lags; regressor_params reach LightGBM."""
    kw = dict(h=H, max_rows=5_000, n_windows=0, calendar=False, regressor_params=dict(n_estimators=7, num_leaves=7))
    plain = LGBMForecaster(**kw).fit(panel_h)
    extra = LGBMForecaster(seasonal_stats=True, **kw).fit(panel_h)
    assert extra.regressor_.n_estimators == 7 and extra.regressor_.num_leaves == 7
    assert extra.regressor_.objective == "l1"  # the other defaults stay
    y = panel_h[panel_h.unique_id == "s0"]["y"].to_numpy()
    T = np.array([len(y) - 1])
    a, _, _ = design_matrix(plain._spec(), y, None, T, [1])
    b, _, _ = design_matrix(extra._spec(), y, None, T, [1])
    # hourly seasonal lags ((24, 7), (168, 2)): mean and median of the 7 daily lags, mean of the 2 weekly ones
    assert b.shape[1] == a.shape[1] + 3
    n_sl = 9
    daily = a[0, -1 - n_sl : -1 - 2]  # the 7 daily aligned lags sit before the 2 weekly ones and the step
    np.testing.assert_allclose(b[0, -4:-2], [np.nanmean(daily), np.nanmedian(daily)], rtol=1e-5)
    fc = extra.forecast(panel_h, h=H)
    assert fc["LGBM"].notna().all()

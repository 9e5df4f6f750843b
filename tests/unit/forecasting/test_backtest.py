"""One set of rolling-origin windows for every backtest in the library."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMRegressor

from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting import SeasonalNaiveForecaster
from govperf_ml.forecasting.backtest import rolling_backtest, window_cutoffs
from govperf_ml.forecasting.lgbm import LGBMForecaster
from govperf_ml.training import backtest_forecaster

_spec = importlib.util.spec_from_file_location("_conftest", Path(__file__).parents[2] / "conftest.py")
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)


@pytest.fixture(scope="module")
def panel():
    return _conftest.make_panel(n_series=3, n=120, freq="D", season=7, seed=3)


def test_window_cutoffs_are_counted_from_each_series_end():
    np.testing.assert_array_equal(window_cutoffs([20, 15], 3, 2), [[13, 16], [8, 11]])


def test_series_and_panel_alignment_agree_on_an_aligned_panel(panel):
    est = SeasonalNaiveForecaster()
    a = rolling_backtest(est, panel, h=7, n_windows=3)
    b = rolling_backtest(est.fit(panel), panel, h=7, n_windows=3, refit=False, align="panel")
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby(["unique_id", "cutoff"]).size().eq(7).all()
    assert a["step"].max() == 7 and a["cutoff"].nunique() == 3


def test_training_backtest_uses_common_cutoff_dates(panel):
    ragged = panel[~((panel.unique_id == "s1") & (panel.ds > panel.ds.max() - pd.Timedelta(days=5)))]
    bt = backtest_forecaster(SeasonalNaiveForecaster().fit(ragged), ragged, h=7, n_windows=2, level=(80,))
    last = ragged.ds.sort_values().unique()
    assert set(bt["cutoff"]) == {last[-15], last[-8]}
    assert {"SeasonalNaive-lo-80", "y", "step"} <= set(bt.columns)


def test_short_series_are_left_out_of_early_windows(panel):
    short = pd.concat([panel, panel[panel.unique_id == "s0"].tail(30).assign(unique_id="short")])
    bt = rolling_backtest(SeasonalNaiveForecaster(), short, h=7, n_windows=3)
    assert bt[bt.unique_id == "short"]["cutoff"].nunique() == 2  # 30 >= 7 w + 14 for w = 1, 2 only
    with pytest.raises(DataContractError):
        rolling_backtest(SeasonalNaiveForecaster(), short, h=60, n_windows=3)
    with pytest.raises(DataContractError):
        rolling_backtest(SeasonalNaiveForecaster(), short, h=7, n_windows=1, align="dates")


def test_lgbm_backtest_uses_the_same_windows(panel):
    reg = LGBMRegressor(n_estimators=20, num_leaves=7, min_child_samples=5, n_jobs=1, verbose=-1)
    model = LGBMForecaster(h=7, n_windows=3, regressor=reg, calendar=False).fit(panel)
    ref = rolling_backtest(SeasonalNaiveForecaster(), panel, h=7, n_windows=3)
    cols = ["unique_id", "ds", "cutoff", "step", "y"]
    got = model.backtest_[cols].sort_values(cols[:2]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref[cols].sort_values(cols[:2]).reset_index(drop=True), check_dtype=False)

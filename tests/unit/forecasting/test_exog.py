"""Exogenous columns in the global LightGBM forecaster, the ensemble and training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMRegressor

from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting import SeasonalNaiveForecaster
from govperf_ml.forecasting.ensemble import BacktestEnsemble, exog_columns, rolling_backtest, uses_exog
from govperf_ml.forecasting.lgbm import LGBMForecaster

H = 7
CUT = pd.Timestamp("2024-05-01")


def campaigns(n_series=6, n=200, seed=0):
    """Daily demand with a weekly cycle plus a jump on campaign days no calendar predicts."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-11-01", periods=n, freq="D")
    parts = []
    for i in range(n_series):
        promo = (rng.random(n) < 0.15).astype(float)
        y = 50 + 10 * i + 8 * np.sin(2 * np.pi * np.arange(n) / 7) + 40 * promo + rng.normal(0, 2, n)
        parts.append(pd.DataFrame({"unique_id": f"d{i}", "ds": ds, "y": y, "campaign": promo}))
    return pd.concat(parts, ignore_index=True)


def model(**kw):
    reg = LGBMRegressor(n_estimators=80, num_leaves=15, min_child_samples=10, n_jobs=1, verbose=-1)
    return LGBMForecaster(h=H, regressor=reg, n_windows=1, calendar=False, **kw)


@pytest.fixture(scope="module")
def data():
    df = campaigns()
    hist, fut = df[df["ds"] < CUT], df[df["ds"] >= CUT]
    return hist, fut.groupby("unique_id").head(H)


@pytest.fixture(scope="module")
def with_exog(data):
    return model(exog=["campaign"]).fit(data[0])


def mae(fc, fut, col="LGBM"):
    j = fc.merge(fut[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    assert len(j) == len(fut)
    return float(np.abs(j["y"] - j[col]).mean())


def test_exogenous_campaigns_are_learned(data, with_exog):
    hist, fut = data
    plain = model().fit(hist).forecast(hist, h=H)
    aware = with_exog.forecast(hist, h=H, X_df=fut[["unique_id", "ds", "campaign"]])
    assert with_exog.exog_ == ("campaign",)
    # the campaign jump (40) is invisible without the column: the error at least halves
    assert mae(aware, fut) < 0.5 * mae(plain, fut)
    assert {"LGBM-lo-95", "LGBM-hi-95"} <= set(aware.columns)


def test_extra_columns_are_ignored_unless_named(data):
    hist, fut = data
    fc = model().fit(hist).forecast(hist, h=H)  # no X_df needed
    assert fc["LGBM"].notna().all()


def test_forecast_beyond_trained_horizon_uses_future_rows(data, with_exog):
    hist, _ = data
    df = campaigns()
    future = df[df["ds"] >= CUT][["unique_id", "ds", "campaign"]]
    fc = with_exog.forecast(hist, h=2 * H + 3, X_df=future)
    assert fc.groupby("unique_id").size().eq(2 * H + 3).all()
    assert fc["LGBM"].notna().all()


def test_missing_x_df_names_the_columns(data, with_exog):
    with pytest.raises(DataContractError, match="campaign") as err:
        with_exog.forecast(data[0], h=H)
    assert err.value.field == "X_df"


def test_x_df_short_of_the_horizon_names_the_series(data, with_exog):
    hist, fut = data
    short = fut[~((fut["unique_id"] == "d2") & (fut["ds"] == fut["ds"].max()))]
    with pytest.raises(DataContractError, match="d2") as err:
        with_exog.forecast(hist, h=H, X_df=short[["unique_id", "ds", "campaign"]])
    assert err.value.ids == ["d2"]


def test_x_df_missing_column_or_value(data, with_exog):
    hist, fut = data
    with pytest.raises(DataContractError) as err:
        with_exog.forecast(hist, h=H, X_df=fut[["unique_id", "ds"]])
    assert err.value.field == "campaign"
    gap = fut[["unique_id", "ds", "campaign"]].copy()
    gap.loc[gap.index[3], "campaign"] = np.nan
    with pytest.raises(DataContractError, match="finite") as err:
        with_exog.forecast(hist, h=H, X_df=gap)
    assert err.value.field == "campaign"


def test_history_checks(data):
    hist, _ = data
    with pytest.raises(DataContractError) as err:
        model(exog=["weather"]).fit(hist)
    assert err.value.field == "weather"
    bad = hist.assign(campaign=hist["campaign"].astype(object))
    bad.loc[bad.index[5], "campaign"] = "yes"
    with pytest.raises(DataContractError, match="must be a finite number") as err:
        model(exog=["campaign"]).fit(bad)
    assert err.value.field == "campaign" and err.value.ids == [bad.loc[bad.index[5], "unique_id"]]
    with pytest.raises(DataContractError) as err:
        model(exog=["y"]).fit(hist)
    assert err.value.field == "exog"
    # a missing reading in the history is allowed (LightGBM routes NaN)
    gap = hist.copy()
    gap.loc[gap.index[10], "campaign"] = np.nan
    assert model(exog=["campaign"]).fit(gap).exog_ == ("campaign",)


def test_backtest_uses_the_known_future(data, with_exog):
    hist, _ = data
    bt = with_exog.backtest(hist, h=H, n_windows=2)
    assert bt["step"].max() == H and bt["cutoff"].nunique() == 2
    assert bt["LGBM"].notna().all()


def test_ensemble_passes_x_df_to_members_that_need_it(data):
    hist, fut = data
    ens = BacktestEnsemble(
        members=[model(exog="campaign"), SeasonalNaiveForecaster(season_length=7)], h=H, n_windows=1
    ).fit(hist)
    assert uses_exog(ens) and exog_columns(ens) == ("campaign",)
    fc = ens.forecast(hist, h=H, X_df=fut[["unique_id", "ds", "campaign"]])
    assert fc.groupby("unique_id").size().eq(H).all() and fc["Ensemble"].notna().all()
    with pytest.raises(DataContractError):
        ens.forecast(hist, h=H)
    bt = rolling_backtest(model(exog=["campaign"]), hist, h=H, n_windows=1)
    assert bt["LGBM"].notna().all()


def test_train_forecast_with_exog(data):
    from govperf_ml import training

    hist, _ = data
    res = training.train_forecast(hist, h=H, history_days=None, estimator=model(exog=["campaign"]))
    assert res.params["exog"] == "campaign"
    assert np.isfinite(res.metrics["mase"])

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting import SeasonalNaiveForecaster
from govperf_ml.training import backtest_forecaster
from tests.conftest import make_panel


def daily(n=200, seed=0):
    return make_panel(n_series=3, n=n, freq="D", season=7, seed=seed)


def test_repeats_last_season_and_future_dates():
    df = daily()
    model = SeasonalNaiveForecaster().fit(df)
    fc = model.forecast(df, h=10)
    assert fc.groupby("unique_id").size().eq(10).all()
    s0 = df[df.unique_id == "s0"]
    np.testing.assert_allclose(fc[fc.unique_id == "s0"]["SeasonalNaive"].to_numpy()[:7], s0["y"].to_numpy()[-7:])
    assert fc[fc.unique_id == "s0"]["ds"].iloc[0] == s0["ds"].iloc[-1] + pd.Timedelta(days=1)


def test_intervals_nest_and_widen():
    rng = np.random.default_rng(0)
    df = daily()
    df["y"] = 100 + np.concatenate([np.cumsum(rng.normal(0, 1, 200)) for _ in range(3)])  # random walks
    fc = SeasonalNaiveForecaster().fit(df).forecast(df, h=21, level=[80, 95])
    assert (fc["SeasonalNaive-lo-95"] <= fc["SeasonalNaive-lo-80"]).all()
    assert (fc["SeasonalNaive-hi-80"] <= fc["SeasonalNaive-hi-95"]).all()
    w = (fc["SeasonalNaive-hi-95"] - fc["SeasonalNaive-lo-95"]).to_numpy().reshape(3, 21)
    assert (w[:, 14:].mean(axis=1) >= w[:, :7].mean(axis=1)).all()


def test_backtest_coverage_reasonable():
    df = daily(n=400)
    model = SeasonalNaiveForecaster().fit(df)
    bt = backtest_forecaster(model, df, h=14, n_windows=4)
    cover = ((bt.y >= bt["SeasonalNaive-lo-95"]) & (bt.y <= bt["SeasonalNaive-hi-95"])).mean()
    assert 0.85 <= cover <= 1.0


def test_monthly_dates():
    df = make_panel(n=30)
    fc = SeasonalNaiveForecaster().fit(df).forecast(df, h=3)
    assert fc[fc.unique_id == "s0"]["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2023-07-01", "2023-08-01", "2023-09-01"]


@pytest.mark.parametrize("kw, field", [({"h": 0}, "h"), ({"h": 5, "level": [80, 120]}, "level")])
def test_bad_arguments(kw, field):
    df = daily()
    with pytest.raises(DataContractError) as err:
        SeasonalNaiveForecaster().fit(df).forecast(df, **kw)
    assert err.value.field == field
